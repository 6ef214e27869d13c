"""``hoko-contract proxy``: run the validation proxy until SIGINT or SIGTERM, then write reports."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

import uvicorn

from contract_tests.proxy import judge as judging
from contract_tests.proxy.app import ProxyApp
from contract_tests.proxy.errors import ProxyUsageError
from contract_tests.proxy.har import HarRecorder
from contract_tests.proxy.settings import ProxySettings

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_CANNOT_RUN = 0, 1, 2
PROG = "hoko-contract proxy"


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2."""
        self.exit(EXIT_CANNOT_RUN, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the proxy's command line."""
    parser = ArgumentParser(
        prog=PROG,
        description="Forward every request to the upstream unchanged and judge every "
        "POST /api/links exchange by the Hoko contract. Exit 0: no violation seen; "
        "1: violations seen; 2: bad options or the address cannot be bound.",
    )
    parser.add_argument("--upstream", required=True, metavar="URL", help="server to forward to")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (8080; 0: any)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds for a whole upstream answer (30)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="also report the points the spec marks free"
    )
    parser.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="replace a violating answer by a 502 listing the violations",
    )
    parser.add_argument("--junit-xml", metavar="PATH", help="on exit, one test case per behaviour")
    parser.add_argument(
        "--har", metavar="PATH", help="on exit, every exchange as HAR (secrets masked)"
    )
    parser.add_argument(
        "--max-batch", type=int, help="links a key's plan allows per request (default: unknown)"
    )
    parser.add_argument(
        "--collection-id",
        action="append",
        default=[],
        metavar="UUID",
        help="a collection of the workspace (repeatable; a 201 for any other is a violation)",
    )
    parser.add_argument(
        "--no-scope-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a key without linksWrite (repeatable; it must get 403)",
    )
    parser.add_argument(
        "--keep", type=int, default=1000, help="violations kept for GET /__proxy/violations"
    )
    parser.add_argument("--quiet", action="store_true", help="no violation lines on stderr")
    return parser


def settings_from(arguments: argparse.Namespace) -> ProxySettings:
    """Return the proxy's settings, or raise ProxyUsageError."""
    return ProxySettings(
        upstream=arguments.upstream,
        host=arguments.host,
        port=arguments.port,
        timeout=arguments.timeout,
        strict=arguments.strict,
        fail_on_violation=arguments.fail_on_violation,
        junit_xml=arguments.junit_xml,
        har=arguments.har,
        max_batch=arguments.max_batch,
        collections=tuple(arguments.collection_id),
        no_scope_keys=tuple(arguments.no_scope_key),
        keep=arguments.keep,
        quiet=arguments.quiet,
    )


def check_writable(option: str, path: str | None) -> None:
    """Raise ProxyUsageError now if a report could not be written on exit."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProxyUsageError(option, f"cannot write {path}: {error.strerror or error}") from None
    if not os.access(folder, os.W_OK) or Path(path).is_dir():
        raise ProxyUsageError(option, f"cannot write {path}")


def listen(settings: ProxySettings) -> socket.socket:
    """Bind the listening socket, or raise ProxyUsageError saying why not."""
    try:
        family = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, settings.port))
        sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    except OSError as error:
        where = f"{settings.host}:{settings.port}"
        raise ProxyUsageError(
            "--host/--port", f"cannot listen on {where}: {error.strerror or error}"
        ) from None
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy until SIGINT or SIGTERM; return 0, or 1 if any violation was seen."""
    try:
        settings = settings_from(build_parser().parse_args(argv))
        check_writable("--junit-xml", settings.junit_xml)
        check_writable("--har", settings.har)
        sock = listen(settings)
        # Spooling starts only once the address is ours: a refused start leaves no file behind.
        har = HarRecorder(settings.har) if settings.har else None
    except ProxyUsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    judge = judging.Judge(settings)
    app = ProxyApp(settings, judge, har.add if har else None)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,  # the upstream's headers go back unchanged, none added
        date_header=False,
        proxy_headers=False,  # the client's address and scheme are neither judged nor forwarded
    )
    server = uvicorn.Server(config)
    # uvicorn installs no signal handlers off the main thread: ours ask it to stop, then report.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        # A second signal stops without waiting for the exchanges still under way.
        server.force_exit = server.should_exit
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(timeout=0.05)
    host, port = sock.getsockname()[:2]
    print(
        f"{PROG}: http://{host}:{port} -> {settings.upstream_base}"
        f" (judging POST /api/links{', strict' if settings.strict else ''}"
        f"{', failing on violations' if settings.fail_on_violation else ''})",
        flush=True,
    )
    while thread.is_alive():
        thread.join(timeout=0.2)
    sock.close()
    try:
        if settings.junit_xml:
            judge.write_junit(settings.junit_xml)
        if har is not None:
            har.write()
    except OSError as error:
        print(f"{PROG}: error: cannot write a report: {error.strerror or error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    total = app.violations.total
    print(
        f"{PROG}: {app.exchanges} exchanges, {judge.judged} judged, {total} violations",
        flush=True,
    )
    return EXIT_VIOLATIONS if total else EXIT_CLEAN
