"""A load generator on raw asyncio sockets, stopping at a deadline or a request budget."""

# It runs as its own process (python -m bench.loadgen), like wrk, so that the load it makes does
# not share a CPU with the process that reads the results.

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from bench.stats import percentile

RESULT_PREFIX = "HOKO_BENCH_RESULT "
"""Starts the one line a generator prints for ``bench.load`` to read."""
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclasses.dataclass
class Tally:
    """Shared by every connection: the request budget left and what came back."""

    budget: int
    latencies: list[float] = dataclasses.field(default_factory=list)
    status_errors: int = 0
    socket_errors: int = 0

    def take(self) -> bool:
        """Spend one request of the budget; False once it is used up."""
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True


def build_request(
    url: str, body: bytes, api_key: str, method: str = "POST"
) -> tuple[str, int, bytes]:
    """Return host, port and the raw bytes of a keep-alive JSON POST (or bare GET) to ``url``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http://host:port/path URLs are supported, got {url!r}")
    port = parts.port or 80
    if method == "GET":
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = f"GET {target or '/'} HTTP/1.1\r\nHost: {parts.hostname}:{port}\r\n\r\n"
        return parts.hostname, port, head.encode("ascii")
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return parts.hostname, port, head.encode("ascii") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole response; return its status and whether the server keeps the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


async def connection_loop(
    host: str, port: int, request: bytes, deadline: float, tally: Tally
) -> None:
    """Send requests one after another on one connection until the time or the budget is up."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.monotonic() < deadline and tally.take():
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            try:
                writer.write(request)
                status, keep_alive = await asyncio.wait_for(
                    read_response(reader), REQUEST_TIMEOUT_SECONDS
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                tally.socket_errors += 1
                writer.close()
                reader = writer = None
                continue
            tally.latencies.append(time.perf_counter() - started)
            if status >= 400:
                tally.status_errors += 1
            if not keep_alive:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def generate(
    url: str,
    body: bytes,
    api_key: str,
    connections: int,
    duration: float,
    max_requests: int,
    method: str = "POST",
) -> dict[str, float]:
    """Run the load and return the figures of the ``HOKO_BENCH_RESULT`` line."""
    host, port, request = build_request(url, body, api_key, method)
    tally = Tally(budget=max_requests)
    started = time.perf_counter()
    deadline = time.monotonic() + duration
    loops = [connection_loop(host, port, request, deadline, tally) for _ in range(connections)]
    results = await asyncio.gather(*loops, return_exceptions=True)
    elapsed = time.perf_counter() - started
    tally.socket_errors += sum(isinstance(result, BaseException) for result in results)
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "duration_us": elapsed * 1e6,
        "p50_us": percentile(latencies, 0.50) * 1e6 if latencies else 0.0,
        "p99_us": percentile(latencies, 0.99) * 1e6 if latencies else 0.0,
        "status_errors": tally.status_errors,
        "socket_errors": tally.socket_errors,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the bounded load and print its result line."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--method", choices=("POST", "GET"), default="POST")
    options = parser.parse_args(argv)
    figures = asyncio.run(
        generate(
            options.url,
            options.body_file.read_bytes(),
            options.api_key,
            options.connections,
            options.duration,
            options.max_requests,
            options.method,
        )
    )
    print(RESULT_PREFIX + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
