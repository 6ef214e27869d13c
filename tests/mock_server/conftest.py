"""Running mocks for the tests: uvicorn on 127.0.0.1, on a port the OS picks, in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from mock_server import config as config_module
from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.protocol import PROTOCOL_PATH
from mock_server.store import LinkStore

DOC_COLLECTION = "550e8400-e29b-41d4-a716-446655440000"
FULL = {"Authorization": "Bearer hoko_test_full"}
NOSCOPE = {"Authorization": "Bearer hoko_test_noscope"}
BASIC = {"Authorization": "Bearer hoko_test_basic"}


@dataclass
class LiveMock:
    """A mock served over real HTTP: its URL, config and store."""

    base_url: str
    config: MockConfig
    store: LinkStore

    def client(self) -> httpx.Client:
        """Return an HTTP client bound to this mock."""
        return httpx.Client(base_url=self.base_url, timeout=30)

    def count(self) -> int:
        """Return how many links the mock holds, as its health check says over HTTP."""
        answer = httpx.get(f"{self.base_url}/__mock/health", timeout=30)
        answer.raise_for_status()
        return int(answer.json()["links"])

    def reset(self) -> None:
        """Forget everything the mock holds, through its control endpoint."""
        httpx.post(f"{self.base_url}/__mock/reset", timeout=30).raise_for_status()


@contextlib.contextmanager
def serve(**options: Any) -> Iterator[LiveMock]:
    """Serve a mock built from TOML-shaped ``options`` until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = config_module.build(("test", {**options, "port": port}))
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", http=PROTOCOL_PATH
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the mock did not start within 10 s"
        time.sleep(0.01)
    try:
        yield LiveMock(f"http://127.0.0.1:{port}", config, app.state.store)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def hoko_mock(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """Run ``hoko-mock --port 0 ARGS``; yield the process, its URL and banner; stop it by pid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKO_MOCK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("  state:"):
            line = process.stdout.readline()
            assert line, f"hoko-mock exited before its banner ended: {lines}"
            lines.append(line)
        banner = "".join(lines)
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found, banner
        base_url = found.group(0)
        wait_until_healthy(base_url)
        yield process, base_url, banner
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def mock() -> Iterator[LiveMock]:
    """A mock with the default config but a rate limit no test run reaches."""
    with serve(**{"rate-limit": 1_000_000}) as live:
        yield live


@pytest.fixture
def client(mock: LiveMock) -> Iterator[httpx.Client]:
    """An HTTP client for the shared mock."""
    with mock.client() as http:
        yield http


@pytest.fixture
def fresh() -> Callable[[], str]:
    """Return a function giving a never-used externalId."""
    return lambda: f"ext-{uuid.uuid4()}"


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function to completion in a fresh event loop."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def link(**fields: Any) -> dict[str, Any]:
    """Return a minimal valid link in the documentation's collection, with ``fields`` added."""
    return {"url": "https://example.com", "collectionId": DOC_COLLECTION, **fields}


def curl(request: httpx.Request) -> str:
    """Render a sent request as a curl line that reproduces it, for failure messages."""
    parts = [f"curl -X {request.method} '{request.url}'"]
    parts += [
        f"-H '{name}: {value}'"
        for name, value in request.headers.items()
        if name.lower()
        not in {"host", "content-length", "accept-encoding", "connection", "user-agent"}
    ]
    if request.content:
        text = request.content[:2000].decode("utf-8", "backslashreplace").replace("'", "'\\''")
        parts.append(f"--data-binary '{text}'")
    return " ".join(parts)


def failure(what: str, response: httpx.Response, documented: str) -> str:
    """Shape a failure message: what failed, what was received, what is documented, a repro."""
    return (
        f"{what}\n  received: {response.status_code} {response.text[:300]}\n"
        f"  documented: {documented}\n  reproduce: {curl(response.request)}"
    )


def wait_until_healthy(base_url: str, seconds: float = 20) -> None:
    """Return once the mock at ``base_url`` answers its health check; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base_url}/__mock/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"hoko-mock did not answer within {seconds:g} s"
            time.sleep(0.05)
