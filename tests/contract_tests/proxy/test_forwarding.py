"""The proxy forwards requests and answers unchanged, streams big bodies, and survives faults."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
from contract_serving import free_port, serving
from proxy_running import HOKO_CONTRACT, running_proxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from test_hardening import UNAUTHORIZED, listening, raw_server, trickling_server

from contract_tests.proxy.forwarding import Answer, Connection

PAYLOAD = random.Random(13).randbytes(3 * 1024 * 1024)
STRIPPED = ("connection", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization", "x-gone")


async def echo(request: Request) -> Response:
    """Answer with what arrived: method, raw path, query, headers, body digest."""
    body = await request.body()
    seen = {
        "method": request.method,
        "path": request.scope["raw_path"].decode(),
        "query": request.scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "peer": request.client.port if request.client else None,
    }
    answer = Response(orjson.dumps(seen), 200, media_type="application/json")
    if request.query_params.get("close"):
        answer.headers["connection"] = "close"
    return answer


async def fixed(_: Request) -> Response:
    """Answer an odd status, repeated headers and 3 MiB of fixed bytes."""
    response = Response(PAYLOAD, 299, media_type="application/octet-stream")
    response.headers.append("x-repeated", "one")
    response.headers.append("x-repeated", "two")
    response.headers.append("set-cookie", "a=1")
    return response


ECHO_APP = Starlette(
    routes=[
        Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/fixed", fixed),
    ]
)


@pytest.fixture(scope="module")
def echo_proxy() -> Iterator[tuple[str, str]]:
    """An echoing upstream and a proxy in front of it: (upstream URL, proxy URL)."""
    with serving(ECHO_APP) as served, running_proxy(served.url, har=False) as proxy:
        yield served.url, proxy.url


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes to ``url`` and return every byte of the answer (the server closes)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_request_reaches_the_upstream_unchanged_but_for_hop_by_hop_headers(
    echo_proxy: tuple[str, str],
) -> None:
    upstream, proxy = echo_proxy
    body = PAYLOAD[:100_000]
    head = (
        b"PUT /echo/a%2Fb/%7Ec?x=%2F&y=&x=2 HTTP/1.1\r\nHost: example.test\r\n"
        b"X-One: 1\r\nX-Repeated: a\r\nX-Repeated: b\r\nConnection: close, X-Gone\r\n"
        b"X-Gone: dropped\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
        b"Proxy-Authorization: Basic c2VjcmV0\r\nAuthorization: Bearer kept\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    answer = raw_exchange(proxy, head + body)
    seen = orjson.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert seen["method"] == "PUT"
    assert seen["path"] == "/echo/a%2Fb/%7Ec"
    assert seen["query"] == "x=%2F&y=&x=2"
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    names = [name for name, _ in seen["headers"]]
    assert not set(STRIPPED) & set(names), names
    assert ["host", upstream.removeprefix("http://")] in seen["headers"]
    headers = [[k, v] for k, v in seen["headers"] if k != "host"]
    assert headers == [
        ["x-one", "1"],
        ["x-repeated", "a"],
        ["x-repeated", "b"],
        ["authorization", "Bearer kept"],
        ["content-length", str(len(body))],
    ]


def test_upstream_connections_are_reused_until_the_upstream_closes_one(
    echo_proxy: tuple[str, str],
) -> None:
    _, proxy = echo_proxy

    def peers(path: str, count: int) -> list[int]:
        # A fresh client connection each time: reuse is the proxy's own, not the client's.
        return [httpx.get(f"{proxy}{path}", trust_env=False).json()["peer"] for _ in range(count)]

    kept = peers("/echo/kept", 5)
    assert len(set(kept)) == 1, kept
    # The first may still ride the pooled connection; each one the upstream closes is not reused.
    closing = peers("/echo/closing?close=1", 3)
    assert len(set(closing)) == 3, closing


def test_connection_with_bytes_no_request_asked_for_is_not_reused() -> None:
    """An upstream that sends more than its answer: the next request gets a fresh connection."""
    stray = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"
    answered, strayed = threading.Event(), threading.Event()

    def handle(connection: socket.socket, number: int, stop: threading.Event) -> None:
        with contextlib.suppress(OSError), connection:
            connection.settimeout(5)
            connection.recv(65536)
            body = b"%d" % number
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            connection.sendall(answer)
            if answered.wait(10):  # the client has the answer: the stray bytes come after it
                connection.sendall(stray)
                strayed.set()
            while connection.recv(65536):  # a reused connection would answer from the stray
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreused")

    with listening(handle) as url, running_proxy(url, har=False) as proxy:
        first = httpx.get(f"{proxy.url}/any", trust_env=False)
        answered.set()
        assert strayed.wait(10)
        time.sleep(0.3)  # the proxy reads them on its idle pooled connection
        second = httpx.get(f"{proxy.url}/any", trust_env=False)
        proxy.stop()
    assert (first.content, second.content) == (b"1", b"2")


@pytest.mark.parametrize(
    ("answer", "head_only"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", False),
        (b"HTTP/1.1 204 No Content\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", True),
    ],
)
def test_bytes_after_an_answer_in_the_same_read_are_no_part_of_it(
    answer: bytes, head_only: bool
) -> None:
    """Another message in the bytes that end an answer changes none of it and spoils reuse."""
    stray = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"
    loop = asyncio.new_event_loop()
    try:
        connection = Connection(loop)
        alone, overrun = Answer(connection, head_only), Answer(connection, head_only)
        for fed, data in ((alone, answer), (overrun, answer + stray)):
            connection.answer, connection.stray = fed, False
            connection.data_received(data)
        assert (overrun.status, overrun.headers, overrun.pending) == (
            alone.status,
            alone.headers,
            alone.pending,
        )
        assert overrun.done
        assert connection.stray
    finally:
        loop.close()


def test_chunked_upload_of_any_size_is_streamed_through(echo_proxy: tuple[str, str]) -> None:
    _, proxy = echo_proxy

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(PAYLOAD), 256 * 1024):
            yield PAYLOAD[start : start + 256 * 1024]

    with httpx.Client(timeout=60, trust_env=False) as client:
        seen = client.post(f"{proxy}/echo/upload", content=pieces()).json()
    assert seen["size"] == len(PAYLOAD)
    assert seen["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()


def test_answer_is_byte_identical_to_the_upstreams(echo_proxy: tuple[str, str]) -> None:
    upstream, proxy = echo_proxy
    request = b"GET /fixed HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    direct, proxied = raw_exchange(upstream, request), raw_exchange(proxy, request)
    assert proxied.split(b"\r\n\r\n", 1)[1] == PAYLOAD

    def head(answer: bytes) -> list[bytes]:
        lines = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        # Connection is hop-by-hop; the date moves with the clock.
        return [line for line in lines if not line.lower().startswith((b"date:", b"connection:"))]

    assert head(proxied) == head(direct)
    assert b"x-repeated: one\r\nx-repeated: two" in proxied


def test_upstream_down_gets_a_502_json_at_once() -> None:
    with running_proxy(f"http://127.0.0.1:{free_port()}", har=False) as proxy:
        answer = httpx.post(f"{proxy.url}/api/links", content=b"[]", timeout=20)
        assert proxy.stop() == 0
    assert answer.status_code == 502
    assert answer.json()["proxyError"] == "upstream-unreachable"
    assert "Traceback" not in proxy.stderr


@pytest.mark.parametrize("path", ["/api/links", "/__mock/health"])
def test_upstream_that_never_answers_gets_a_504_within_the_timeout(path: str) -> None:
    with raw_server(None) as url, running_proxy(url, "--timeout", "1", har=False) as proxy:
        answer = httpx.post(f"{proxy.url}{path}", content=b"[]", timeout=20)
        assert proxy.stop() == 0
    assert answer.status_code == 504
    assert answer.json() == {
        "proxyError": "upstream-timeout",
        "message": f"{url} gave no whole answer within 1 s",
    }
    assert "Traceback" not in proxy.stderr


@pytest.mark.parametrize(
    ("answer", "answered"),
    [(b"", 0), (b"NOT HTTP AT ALL\r\n\r\n", 1000), (UNAUTHORIZED[:40], 1000)],
    ids=["reset", "garbage", "cut-head"],
)
def test_upstream_resetting_or_answering_garbage_gets_a_502(answer: bytes, answered: int) -> None:
    with raw_server(answer, answered) as url, running_proxy(url, har=False) as proxy:
        answers = [httpx.post(f"{proxy.url}/api/links", timeout=20) for _ in range(3)]
        assert proxy.stop() == 0
    assert {a.status_code for a in answers} == {502}
    assert {a.json()["proxyError"] for a in answers} == {"upstream-broken"}
    assert "Traceback" not in proxy.stderr


def test_endless_body_is_a_504_on_judged_paths_and_a_cut_elsewhere() -> None:
    with trickling_server() as url, running_proxy(url, "--timeout", "1", har=False) as proxy:
        judged = httpx.post(f"{proxy.url}/api/links", content=b"[]", timeout=20)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{proxy.url}/elsewhere", timeout=20)
        health = httpx.get(f"{proxy.url}/__proxy/health", timeout=20)
        assert proxy.stop() == 0
    assert judged.status_code == 504
    assert health.status_code == 200
    assert "Traceback" not in proxy.stderr


@contextmanager
def port_in_use() -> Iterator[int]:
    """Hold a listening socket on a free port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--upstream", "ftp://example.com"],
        ["--upstream", "http://"],
        ["--upstream", "http://127.0.0.1:99999"],
        ["--upstream", "http://127.0.0.1:1", "--port", "70000"],
        ["--upstream", "http://127.0.0.1:1", "--timeout", "0"],
        ["--upstream", "http://127.0.0.1:1", "--timeout", "soon"],
        ["--upstream", "http://127.0.0.1:1", "--max-batch", "10001"],
        ["--upstream", "http://127.0.0.1:1", "--collection-id", "nope"],
        ["--upstream", "http://127.0.0.1:1", "--har", "/proc/no/such.har"],
        ["--upstream", "http://127.0.0.1:1", "--junit-xml", "/proc/no/such.xml"],
        ["--upstream", "http://127.0.0.1:1", "--keep", "0"],
        ["--upstream", "http://127.0.0.1:1", "--host", "no-such-host.invalid"],
        ["--upstream", "http://127.0.0.1:1", "--bogus"],
    ],
)
def test_bad_option_is_one_line_and_exit_2(options: list[str]) -> None:
    result = subprocess.run(
        [HOKO_CONTRACT, "proxy", *options], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("hoko-contract proxy: error:")


def test_busy_port_is_one_line_and_exit_2() -> None:
    with port_in_use() as port:
        result = subprocess.run(
            [HOKO_CONTRACT, "proxy", "--upstream", "http://127.0.0.1:1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot listen" in result.stderr


def test_client_going_away_mid_upload_leaves_the_proxy_serving() -> None:
    with serving(ECHO_APP) as served, running_proxy(served.url, har=False) as proxy:
        host, port = proxy.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(
                b"POST /api/links HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n[{"
            )
        time.sleep(0.3)
        after = httpx.post(f"{proxy.url}/echo/after", content=b"x", timeout=20)
        assert proxy.stop() == 0
    assert after.status_code == 200
    assert "Traceback" not in proxy.stderr


def test_suite_command_line_is_untouched_by_the_subcommand() -> None:
    result = subprocess.run(
        [HOKO_CONTRACT, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "--base-url" in result.stdout
    assert "hoko-contract proxy --help" in result.stdout
    proxy_help = subprocess.run(
        [HOKO_CONTRACT, "proxy", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proxy_help.returncode == 0
    assert "--upstream" in proxy_help.stdout


def test_upstream_path_prefix_is_kept(tmp_path: Path) -> None:
    async def where(request: Request) -> Response:
        return PlainTextResponse(request.url.path)

    app = Starlette(routes=[Route("/base/{rest:path}", where)])
    with serving(app) as served, running_proxy(f"{served.url}/base/", folder=tmp_path) as proxy:
        answer = httpx.get(f"{proxy.url}/some/where?x=1", timeout=10)
        proxy.stop()
    assert answer.text == "/base/some/where"
    (entry,) = proxy.har()["log"]["entries"]
    assert entry["request"]["url"] == f"{served.url}/base/some/where?x=1"


async def streamed(_: Request) -> Response:
    """Answer in chunks of unknown total length."""

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(PAYLOAD), 700_000):
            yield PAYLOAD[start : start + 700_000]

    return StreamingResponse(pieces(), media_type="application/octet-stream")


@pytest.mark.parametrize("path", ["/api/links", "/streamed"])
def test_chunked_answer_and_head_requests_come_back_whole(path: str) -> None:
    routes = [Route(path, streamed, methods=["GET", "POST", "HEAD"])]
    with serving(Starlette(routes=routes)) as served, running_proxy(served.url, har=False) as proxy:
        with httpx.Client(timeout=30, trust_env=False) as client:
            answers = [client.post(f"{proxy.url}{path}", content=b"[]") for _ in range(2)]
            head = client.head(f"{proxy.url}{path}")
            after = client.post(f"{proxy.url}{path}", content=b"[]")
        proxy.stop()
    assert [a.content == PAYLOAD for a in [*answers, after]] == [True, True, True]
    assert answers[0].headers.get("transfer-encoding") == "chunked"
    assert head.status_code == 200
    assert head.content == b""
