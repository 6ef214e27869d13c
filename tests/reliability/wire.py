"""Raw HTTP/1.1 over a socket: any bytes as headers or body, the answer parsed, the time taken."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

CHUNK = 64 * 1024


@dataclass(frozen=True)
class RawRequest:
    """A request as bytes: method, target, header lines (any bytes, repeats allowed), body."""

    method: bytes = b"POST"
    target: bytes = b"/api/links"
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    # Extra body bytes sent after ``body`` without being declared: a 50 MB upload, lazily.
    body_repeats: int = 0
    # Chunked transfer instead of Content-Length: the size is known only once it is all read.
    chunked: bool = False

    def head(self) -> bytes:
        """Return the request line and headers, ``Connection: close`` last."""
        lines = [self.method + b" " + self.target + b" HTTP/1.1", b"Host: 127.0.0.1"]
        lines += [name + b": " + value for name, value in self.headers]
        if self.chunked:
            lines.append(b"Transfer-Encoding: chunked")
        else:
            lines.append(b"Content-Length: %d" % self.body_size())
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def body_size(self) -> int:
        """Return how many body bytes the request carries."""
        return len(self.body) * (1 + self.body_repeats)

    def body_chunks(self) -> Iterable[bytes]:
        """Yield the body in pieces, so a 50 MB one is never built whole."""
        for _ in range(1 + self.body_repeats):
            for start in range(0, len(self.body), CHUNK):
                piece = self.body[start : start + CHUNK]
                yield b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece
        if self.chunked:
            yield b"0\r\n\r\n"

    def curl(self, base_url: str) -> str:
        """Render the request as a curl line (body cut at 300 bytes) for failure messages."""
        parts = [f"curl -X {self.method.decode('latin-1')} '{base_url}{self.target.decode()}'"]
        parts += [
            f"-H '{n.decode('latin-1')}: {v[:200].decode('latin-1')}'" for n, v in self.headers
        ]
        shown = self.body[:300].decode("utf-8", "backslashreplace").replace("'", "'\\''")
        more = f" (x{1 + self.body_repeats}, {self.body_size()} bytes)" if self.body_repeats else ""
        return " ".join(parts) + f" --data-binary '{shown}'{more}"


@dataclass
class Answer:
    """What came back: status (0 if none), headers (names lowercased), body, seconds taken."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    problem: str = ""

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return orjson.loads(self.body)


def _parse(raw: bytes) -> Answer:
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        return Answer(0, problem=f"no complete answer: {raw[:200]!r}")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return Answer(int(status_line.split(" ")[1]), headers, body)


def exchange(port: int, request: RawRequest, timeout: float) -> Answer:
    """Send ``request`` to 127.0.0.1:``port`` and read the answer until the server closes."""
    started = time.monotonic()
    deadline = started + timeout
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        try:
            raw.sendall(request.head())
            for chunk in request.body_chunks():
                # The server may answer (a 400 for a body over the cap) before the body is sent.
                if select.select([raw], [], [], 0)[0]:
                    break
                raw.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-upload; the answer may already be waiting
        try:
            while time.monotonic() < deadline:
                raw.settimeout(max(0.01, deadline - time.monotonic()))
                data = raw.recv(CHUNK)
                if not data:
                    break
                received += data
        except TimeoutError:
            answer = _parse(received)
            answer.problem = f"no answer within {timeout:g} s"
            answer.seconds = time.monotonic() - started
            return answer
        except ConnectionResetError:
            if not received:
                return Answer(0, problem="connection reset", seconds=time.monotonic() - started)
    answer = _parse(received)
    answer.seconds = time.monotonic() - started
    return answer
