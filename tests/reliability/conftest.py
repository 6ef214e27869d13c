"""``hoko-mock`` as a real subprocess in its own process group, and the campaigns' figures."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import httpx
import orjson
import pytest

from tests.mock_server.conftest import wait_until_healthy
from tests.reliability.hostile import COLLECTION

FIGURES: list[str] = []


def report(line: str) -> None:
    """Print one campaign's figures now and again in the run's summary."""
    print(f"\n{line}")
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List every campaign's figures at the end of the run."""
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@dataclass
class MockProcess:
    """A running ``hoko-mock``: its process, its URL and port."""

    process: subprocess.Popen[str]
    base_url: str

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        return int(self.base_url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL the mock and its worker processes (its own process group), then reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextlib.contextmanager
def hoko_mock(*args: str) -> Iterator[MockProcess]:
    """Run ``hoko-mock --port 0 ARGS`` until the block ends; stop it by its process group."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKO_MOCK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,  # its own group: SIGKILL reaches every worker, and only them
    )
    mock = None
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, f"hoko-mock printed no URL: {first!r}"
        mock = MockProcess(process, found.group(0))
        wait_until_healthy(mock.base_url)
        yield mock
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


CLIENTS: Final = 32
Send = Callable[[httpx.Client, int], Any]


def spread(
    mocks: list[MockProcess],
    seconds: float,
    send: Send,
    count: int | None = None,
    stop: threading.Event | None = None,
) -> list[Any]:
    """Run ``send(client, index)`` from 32 threads spread over the mocks, bounded in time."""
    deadline = time.monotonic() + seconds
    counter = itertools.count()
    stop = stop or threading.Event()

    def client_loop(thread: int) -> list[Any]:
        results = []
        with httpx.Client(base_url=mocks[thread % len(mocks)].base_url, timeout=30) as client:
            while time.monotonic() < deadline and not stop.is_set():
                index = next(counter)
                if count is not None and index >= count:
                    break
                results.append(send(client, index))
        return results

    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return [result for part in pool.map(client_loop, range(CLIENTS)) for result in part]


def listing(mock: MockProcess) -> list[dict[str, Any]]:
    """Return every stored link, as one replica lists them."""
    answer = httpx.get(f"{mock.base_url}/__mock/links", timeout=120)
    answer.raise_for_status()
    links: list[dict[str, Any]] = answer.json()["links"]
    return links


def batch_body(name: str, size: int) -> bytes:
    """Return a batch of ``size`` links whose externalIds all start with ``name``."""
    links = [
        {"url": "https://example.com", "collectionId": COLLECTION, "externalId": f"{name}-{i}"}
        for i in range(size)
    ]
    return orjson.dumps(links)


def verify_whole(
    mock: MockProcess, acknowledged: dict[str, dict[str, Any]], size: int
) -> collections.Counter[str]:
    """Check every acknowledged link is stored unchanged and every batch whole; count batches."""
    stored = listing(mock)
    by_id = {link["id"]: link for link in stored}
    missing = [link_id for link_id in acknowledged if by_id.get(link_id) != acknowledged[link_id]]
    assert not missing, f"{len(missing)} links answered 201 are gone or changed"
    per_batch = collections.Counter(link["externalId"].rsplit("-", 1)[0] for link in stored)
    partial = {batch: count for batch, count in per_batch.items() if count != size}
    assert not partial, f"batches partly stored: {partial}"
    return per_batch
