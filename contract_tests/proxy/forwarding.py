"""The upstream: requests forwarded unchanged but for hop-by-hop headers, answers read as bytes.

HTTP/1.1 over pooled asyncio connections, each answer parsed by httptools (uvicorn's own parser)
as its bytes arrive: the proxy spends its time judging, not in a general-purpose client.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import cast

import httptools

from contract_tests.proxy.errors import UpstreamError
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Headers

# RFC 9110 section 7.6.1, plus the legacy Proxy-Connection; Host is the upstream's own.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
READ_LIMIT = 128 * 1024  # body bytes held unread before the upstream is asked to wait
# An idle connection is dropped before the upstream's keep-alive timeout (uvicorn's is 5 s) can
# close it under a request.
MAX_IDLE_SECONDS = 4.0
MAX_IDLE_CONNECTIONS = 32


def end_to_end(
    headers: Iterable[tuple[bytes, bytes]], drop: frozenset[bytes] = frozenset()
) -> Headers:
    """Return ``headers`` in order without the hop-by-hop ones and those Connection names."""
    pairs = list(headers)
    names = [name.lower() for name, _ in pairs]
    removed = _removed(drop)
    if removed.isdisjoint(names):
        return pairs  # as most answers are: nothing to take out
    if b"connection" in names:
        named = {
            token.strip().lower()
            for (_, value), name in zip(pairs, names, strict=True)
            if name == b"connection"
            for token in value.split(b",")
        }
        removed = removed | named
    return [pair for pair, name in zip(pairs, names, strict=True) if name not in removed]


@functools.cache  # one set per caller's ``drop``, not one per request
def _removed(drop: frozenset[bytes]) -> frozenset[bytes]:
    return HOP_BY_HOP | drop


class Answer:
    """An upstream answer: status and headers as received, then its body as it arrives."""

    def __init__(self, connection: Connection, head_only: bool) -> None:
        self.connection = connection
        self.status = 0
        self.headers: Headers = []
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.head_done = False
        self.done = False
        self.head_only = head_only
        self.keep_alive = False
        # Bytes past the end of this answer, fed with its own: parsed by llhttp as another
        # message, they are kept out of this one, and the connection is not used again.
        self.overrun = False
        self.parser = httptools.HttpResponseParser(self)

    # httptools callbacks.
    def on_message_begin(self) -> None:
        if self.done:
            self.overrun = True

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.overrun:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.overrun:
            return
        self.status = self.parser.get_status_code()
        if 100 <= self.status < 200:
            self.headers = []  # an interim answer: the final one follows
            return
        self.head_done = True
        # llhttp answers this only while the message is parsed; once it ends, it says False.
        self.keep_alive = self.parser.should_keep_alive()
        if self.head_only or self.status in (204, 304):
            self.done = True

    def on_body(self, body: bytes) -> None:
        if self.done:  # a body after a HEAD answer, a 204, a 304, or another message's
            self.overrun = True
            return
        self.pending.append(body)
        self.pending_bytes += len(body)

    def on_message_complete(self) -> None:
        if self.head_done and not self.overrun:
            self.done = True

    def _framed(self) -> bool:
        return any(
            name.lower() == b"content-length"
            or (name.lower() == b"transfer-encoding" and b"chunked" in value.lower())
            for name, value in self.headers
        )

    async def _more(self) -> None:
        if not await self.connection.arrival():
            if not (self.head_done and not self._framed()):
                raise ConnectionResetError(
                    "the upstream closed the connection before the answer ended"
                )
            self.done = True  # a body without length or chunks ends with the connection

    async def read_head(self) -> None:
        """Read until the final status line and headers have arrived."""
        while not self.head_done:
            await self._more()

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body as sent (chunked framing removed, content encoding kept)."""
        while True:
            while self.pending:
                chunk = self.pending.pop(0)
                self.pending_bytes -= len(chunk)
                yield chunk
            if self.done:
                return
            self.connection.resume_reading()
            await self._more()

    def reusable(self) -> bool:
        """Tell whether the connection may carry another request."""
        return self.done and not self.head_only and self.keep_alive


class Connection(asyncio.Protocol):
    """One TCP connection to the upstream, whose bytes go to the answer awaited, as they arrive."""

    # No stream reader in between: one wake-up of the exchange per arrival, no buffer copies.

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.answer: Answer | None = None
        self.idle_since = time.monotonic()
        self.ended = False  # the upstream closed its side, or the connection is gone
        self.failure: BaseException | None = None  # unparseable bytes, or why it was lost
        self.stray = False  # bytes came that no request asked for
        self._arrival: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        answer = self.answer
        if answer is None or answer.done or self.failure is not None:
            self.stray = True  # never reused: the next answer would start mid-message
            return
        try:
            answer.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.failure = error
        self.stray = self.stray or answer.overrun
        if answer.pending_bytes > READ_LIMIT and not answer.done and self.transport is not None:
            self.transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        if exc is not None and self.failure is None:
            self.failure = exc
        self._wake()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _wake(self) -> None:
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)

    async def arrival(self) -> bool:
        """Wait for more of the answer; False once nothing more can come, raise what broke it."""
        if self.failure is None and not self.ended:
            self._arrival = self.loop.create_future()
            try:
                await self._arrival
            finally:
                self._arrival = None
        if self.failure is not None:
            raise self.failure
        return not self.ended or bool(self.answer and (self.answer.pending or self.answer.done))

    def resume_reading(self) -> None:
        """Let bytes in again once the answer's pending chunks are taken."""
        if self._reading_paused and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()

    async def write(self, data: bytes) -> None:
        """Send ``data``, waiting while the upstream's window is full."""
        if self.ended or self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the upstream closed the connection")
        self.transport.write(data)
        if self._writable is not None:
            await self._writable

    def usable(self) -> bool:
        """Tell whether an idle connection can still be used."""
        fresh = time.monotonic() - self.idle_since < MAX_IDLE_SECONDS
        closing = self.transport is None or self.transport.is_closing()
        return fresh and not (self.ended or self.stray or closing)

    def close(self) -> None:
        """Close the connection without waiting."""
        self.ended = True
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """A pool of connections to the upstream; every failure becomes an ``UpstreamError``."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        parts = urllib.parse.urlsplit(settings.upstream_base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.netloc = parts.netloc.encode("idna")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/").encode()
        self.idle: list[Connection] = []

    def url(self, raw_path: bytes, query: bytes) -> str:
        """Return the upstream URL of a request path and query, byte for byte."""
        return self.origin + self.target(raw_path, query).decode("latin-1")

    def target(self, raw_path: bytes, query: bytes) -> bytes:
        """Return the request target sent upstream: the prefix, the path, the query."""
        return self.prefix + raw_path + (b"?" + query if query else b"")

    async def open(
        self,
        method: str,
        target: bytes,
        forwarded: Headers,
        body: AsyncIterator[bytes] | None,
        deadline: float,
    ) -> Answer:
        """Send the request with its end-to-end headers; return the answer once its head is in."""
        async with _UpstreamFailures(self.settings, deadline):
            connection = await self._connection()
            try:
                return await self._exchange(connection, method, target, forwarded, body)
            except BaseException:
                connection.close()  # half a request or half an answer: never reused
                raise

    async def _exchange(
        self,
        connection: Connection,
        method: str,
        target: bytes,
        forwarded: Headers,
        body: AsyncIterator[bytes] | None,
    ) -> Answer:
        sized = any(name.lower() == b"content-length" for name, _ in forwarded)
        chunked = body is not None and not sized
        lines = [method.encode() + b" " + target + b" HTTP/1.1", b"host: " + self.netloc]
        lines += [name + b": " + value for name, value in forwarded]
        if chunked:
            lines.append(b"transfer-encoding: chunked")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        answer = Answer(connection, head_only=method == "HEAD")
        connection.answer = answer
        # An upstream may answer (a 401, a 400) and close before it has read the whole body.
        with contextlib.suppress(ConnectionError):
            await _send(connection, head, body, chunked)
        await answer.read_head()
        return answer

    async def read(self, answer: Answer, deadline: float) -> bytes:
        """Return the whole body as sent, by the deadline."""
        if answer.done:  # it came with the head, as a small answer does: nothing to wait for
            body = b"".join(answer.pending)
            answer.pending, answer.pending_bytes = [], 0
            return body
        async with _UpstreamFailures(self.settings, deadline):
            return b"".join([chunk async for chunk in answer.chunks()])

    async def chunks(self, answer: Answer, deadline: float) -> AsyncIterator[bytes]:
        """Yield the body as sent, each chunk by the deadline."""
        iterator = answer.chunks().__aiter__()
        while True:
            async with _UpstreamFailures(self.settings, deadline):
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    return
            yield chunk

    def release(self, answer: Answer) -> None:
        """Give the connection back to the pool if it can carry another request, else close it."""
        connection = answer.connection
        connection.answer = None
        connection.resume_reading()  # bytes while idle are seen: they make it unusable
        if answer.reusable() and len(self.idle) < MAX_IDLE_CONNECTIONS:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        else:
            connection.close()

    async def close(self) -> None:
        """Close every pooled connection."""
        for connection in self.idle:
            connection.close()
        self.idle.clear()

    async def _connection(self) -> Connection:
        while self.idle:
            connection = self.idle.pop()
            if connection.usable():
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: Connection(loop), self.host, self.port, ssl=True if self.tls else None
            )
        except OSError as error:
            upstream = self.settings.upstream_base
            raise UpstreamError(
                502, "upstream-unreachable", f"cannot connect to {upstream}: {_reason(error)}"
            ) from None
        return connection


async def _send(
    connection: Connection, head: bytes, body: AsyncIterator[bytes] | None, chunked: bool
) -> None:
    # The head goes out with the first chunk: a small request is one write, one system call.
    pending = head
    if body is not None:
        async for chunk in body:
            await connection.write(
                pending + (b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            )
            pending = b""
    last = pending + (b"0\r\n\r\n" if chunked else b"")
    if last:
        await connection.write(last)


class _UpstreamFailures:
    """Bounds a step by the exchange's deadline and turns a failure into an UpstreamError."""

    def __init__(self, settings: ProxySettings, deadline: float) -> None:
        self._settings = settings
        self._timeout = asyncio.timeout(max(0.0, deadline - time.monotonic()))

    async def __aenter__(self) -> None:
        await self._timeout.__aenter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        upstream = self._settings.upstream_base
        try:
            await self._timeout.__aexit__(kind, error, traceback)
        except TimeoutError:
            error = TimeoutError()
        if isinstance(error, TimeoutError):
            raise UpstreamError(
                504,
                "upstream-timeout",
                f"{upstream} gave no whole answer within {self._settings.timeout:g} s",
            ) from None
        if isinstance(error, (OSError, httptools.HttpParserError)):
            # A reset, an early close and a head no HTTP parser reads all end here.
            raise UpstreamError(
                502, "upstream-broken", f"no valid HTTP answer from {upstream}: {_reason(error)}"
            ) from None


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return (text or type(error).__name__)[:200]
