"""Servers that misbehave at the HTTP level get a clear verdict in bounded time, no traceback."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from contract_commands import assert_one_line_error, hoko_contract, target
from contract_reference import ServerOptions, build_app
from contract_running import settings_for
from contract_serving import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from contract_tests import batches, creation, report, runner
from contract_tests.context import RunContext


@contextmanager
def listening(handle: Callable[[socket.socket, int, threading.Event], None]) -> Iterator[str]:
    """Accept connections on a free port and hand each (with its number) to ``handle``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        count = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                connection, _ = listener.accept()
                count += 1
                threading.Thread(target=handle, args=(connection, count, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@contextmanager
def raw_server(answer: bytes | None, answered: int = 0) -> Iterator[str]:
    """Answer the first ``answered`` connections with ``answer``, then reset; None: never answer."""

    def handle(connection: socket.socket, number: int, stop: threading.Event) -> None:
        with contextlib.suppress(OSError), connection:
            connection.settimeout(1)
            connection.recv(65536)
            if answer is None:
                stop.wait()
            elif number <= answered:
                connection.sendall(answer)
            else:  # reset: close with SO_LINGER 0
                linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    with listening(handle) as url:
        yield url


UNAUTHORIZED = (
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b"Connection: close\r\n\r\n{}"
)


def test_server_that_never_answers_exits_2_within_the_timeout() -> None:
    """A server that accepts but never answers: exit 2 in one line, within the subprocess bound."""
    with raw_server(None) as url:
        result = hoko_contract(*target(url), "--timeout", "1", timeout=15)
    assert_one_line_error(result)
    assert "timed out" in result.stderr


@pytest.mark.slow
def test_connection_reset_mid_run_is_a_clear_failure() -> None:
    """Resets after the first answer: failures saying 'no HTTP answer', bounded, no traceback."""
    with raw_server(UNAUTHORIZED, answered=1) as url:
        result = hoko_contract(*target(url), "--timeout", "2", "--quiet", timeout=120)
    assert result.returncode == 1, result.stderr
    assert "no HTTP answer: connection reset" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_html_garbage_fails_every_behaviour_without_a_traceback() -> None:
    """A server answering 200 HTML to everything fails, with each failure explained."""

    async def garbage(_: Request) -> HTMLResponse:
        return HTMLResponse("<html><body>It works!</body></html>")

    app = Starlette(routes=[Route("/api/links", garbage, methods=["POST", "GET"])])
    with serving(app) as served:
        result = hoko_contract(*target(served.url), "--quiet", "--rate-probe", "50")
    assert result.returncode == 1
    assert "Content-Type text/html" in result.stdout
    assert "PASS auth.missing-header" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_server_going_down_mid_run_stops_the_run_with_exit_2() -> None:
    """The server stops after a few checks: the run ends as unreachable, quickly."""
    with serving(build_app(ServerOptions())) as served:

        def progress(text: str) -> None:
            if "[4/" in text:
                served.stop()
                time.sleep(0.5)

        result = runner.run(settings_for(served.url, max_time=30.0), progress)
    assert result.exit_code == 2
    assert "refused" in str(result.stopped)


@pytest.mark.slow
def test_run_ceiling_stops_a_slow_run_with_exit_2() -> None:
    """--max-time ends a run against a slow server in bounded time, in one line."""
    with serving(build_app(ServerOptions(latency=0.3))) as served:
        result = hoko_contract(*target(served.url), "--max-time", "3", "--quiet", timeout=20)
    assert result.returncode == 2
    assert "run stopped by --max-time" in result.stderr


TRICKLE_HEADERS = (
    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
)


@contextmanager
def trickling_server() -> Iterator[str]:
    """Answer every request with headers, then one byte of body every 0.2 s, never finishing."""

    def trickle(connection: socket.socket, _: int, stop: threading.Event) -> None:
        with contextlib.suppress(OSError), connection:
            connection.recv(65536)
            connection.sendall(TRICKLE_HEADERS)
            while not stop.wait(0.2):
                connection.sendall(b" ")

    with listening(trickle) as url:
        yield url


def test_endless_trickling_body_is_cut_at_the_timeout() -> None:
    """A body that never completes (each byte in time) still ends the request at --timeout."""
    with trickling_server() as url:
        result = hoko_contract(*target(url), "--timeout", "1", timeout=15)
    assert_one_line_error(result)
    assert "not complete within the timeout" in result.stderr


@pytest.mark.slow
def test_tiny_rate_limit_is_waited_out_validated_and_reported() -> None:
    """5 requests per 2 s: checks wait out each 429, validate it, pass, and count the wait."""
    with serving(build_app(ServerOptions(rate_limit=5, rate_window=2.0))) as served:
        ctx = RunContext(settings_for(served.url))
        for check in (*creation.CHECKS, *batches.CHECKS[2:]):
            check(ctx)
    assert ctx.verdict.failing() == []
    assert ctx.transport.counters.rate_limited >= 2
    assert ctx.transport.counters.waited > 1
    assert ctx.verdict.observations["rate-limit.429"].checked >= 2
    text = report.render(ctx.verdict, ctx.transport.counters, seed=1, run_tag="t")
    assert f"{ctx.transport.counters.rate_limited} rate-limit waits" in text
