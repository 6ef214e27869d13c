"""HTTP/1.1 parsing: uvicorn's fast httptools parser, with h11's limits and its method tolerance."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import sys
from collections.abc import Iterable
from typing import Any, Final, Protocol, cast

import httptools
import orjson
from starlette.types import Receive
from uvicorn.protocols.http import h11_impl, httptools_impl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

import openapi
from mock_server.errors import MockError

PROTOCOL_PATH: Final = "mock_server.protocol:HttpProtocol"
"""What ``uvicorn.Config(http=...)`` takes to serve the mock with this protocol."""

# The uvicorn code this adapter relies on (uvicorn is pinned to its minor release), with the
# SHA-256 of its source when it was last read: what each method calls and sets, and when
# ``send_400_response`` runs, are not public API.
UPSTREAM_SOURCES: Final = {
    "HttpToolsProtocol.__init__": "4f08999410347141",
    # CoalescingTransport: every write of the protocol and its cycles goes through the
    # transport that connection_made was given.
    "HttpToolsProtocol.connection_made": "6efb565ff3d36b91",
    "HttpToolsCycle.send": "abdd8601b326a8da",
    "HttpToolsProtocol.data_received": "010a7ae59a5d3b1a",
    "HttpToolsProtocol.send_400_response": "ae5a4a3782b646fd",
    "HttpToolsProtocol.on_message_begin": "96d377fdc7c2baef",
    "HttpToolsProtocol.on_url": "37be44e962b04ca8",
    "HttpToolsProtocol.on_header": "65d62c044f61fdbd",
    "HttpToolsProtocol.on_message_complete": "1fbad42dc31fc01f",
    "H11Protocol.__init__": "ad1ed8e837b2db8d",
    "H11Protocol.connection_made": "6efb565ff3d36b91",
    "H11Protocol.data_received": "e03b145518ca44aa",
    "H11Protocol.handle_events": "e63a9d1492e3efe7",
    "H11Protocol.send_400_response": "56937b748fc59d92",
    # connection_transport: the app's ``receive`` is a bound method of a cycle holding it.
    "HttpToolsCycle.__init__": "4d2f220910c33c12",
    "HttpToolsCycle.receive": "8124ae006be71184",
    "H11Cycle.__init__": "d245415af679f8ad",
    "H11Cycle.receive": "2d138e9944fff369",
}
UPSTREAM_CLASSES: Final = {
    "HttpToolsProtocol": HttpToolsProtocol,
    "H11Protocol": H11Protocol,
    "HttpToolsCycle": httptools_impl.RequestResponseCycle,
    "H11Cycle": h11_impl.RequestResponseCycle,
}


def upstream_changes() -> list[str]:
    """Return the relied-on uvicorn methods whose source differs from the one last read."""
    changed = []
    for qualified, digest in UPSTREAM_SOURCES.items():
        owner, method = qualified.split(".")
        source = inspect.getsource(getattr(UPSTREAM_CLASSES[owner], method))
        if hashlib.sha256(source.encode()).hexdigest()[: len(digest)] != digest:
            changed.append(qualified)
    return changed


MAX_HEAD_BYTES: Final = 16 * 1024  # h11's default limit on an incomplete request head


REFUSED: Final = "Invalid HTTP request received."


def _refusal() -> bytes:
    """Return the whole 400 answer to a request HTTP cannot parse, in the documented shape."""
    en, ar = openapi.error_texts(400)
    issue = {"path": "$", "rule": "http", "message": f"{REFUSED} (malformed, or head over 16 KiB)"}
    body = orjson.dumps({"error": {"en": en, "ar": ar}, "issues": [issue]})
    head = (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    return head + body


REFUSAL: Final = _refusal()


class JsonH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, refusing a request it cannot parse with the documented JSON 400."""

    def send_400_response(self, msg: str) -> None:
        """Write the documented 400 and close, instead of h11's plain text."""
        self.transport.write(REFUSAL)
        self.transport.close()


class HeadTooLargeError(MockError):
    """The request line and headers together pass the size h11 would accept."""


class CoalescingTransport:
    """A connection's transport whose writes in one turn of the event loop leave in one write."""

    # uvicorn writes each answer as it goes, head then body. Held to the end of the turn, the
    # answers of one turn leave together after the work that made them, the clients' next
    # requests come back together, and each wake-up of the loop serves more of them: 114 -> 84 us
    # of CPU per 1-link request under load. Joining only each answer's head and body, sent the
    # moment it is complete, gained nothing (measured at 111 us).

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Queue ``data``; everything queued this turn is written together at its end."""
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def writelines(self, pieces: Iterable[bytes]) -> None:
        """Queue each piece, in order, like :meth:`write`."""
        for piece in pieces:
            self.write(piece)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Write what is queued, then close once it is sent."""
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping anything unsent, queued here or not."""
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """httptools speed, answering what h11 answers: 400 past 16 KiB of head, any method token."""

    # httptools has no head limit and knows only registered methods; h11 caps the head and
    # accepts any token, so the app answers an unknown method with its own 405.
    head_bytes = 0
    completed = 0
    _completed_before = 0
    _received = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Serve the connection through a transport that coalesces each turn's writes."""
        coalescing = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, coalescing))

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the header toward the head's size; past the limit the request gets a 400."""
        # A request's first header starts the count with its target, read whole by then.
        counted = self.head_bytes if self.headers else len(self.url)
        self.head_bytes = counted + len(name) + len(value) + 4
        if self.head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLargeError
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        """Note that a request was read whole, so later bytes start a new one."""
        self.completed += 1
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does, keeping ``data`` in case a method httptools lacks moves it."""
        self._received = data
        self._completed_before = self.completed
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """Hand a method httptools does not know to h11; refuse anything else in the JSON shape."""
        # uvicorn calls this while handling the parser's error, which says what went wrong.
        refused_method = isinstance(sys.exception(), httptools.HttpParserInvalidMethodError)
        idle = self.cycle is None or self.cycle.response_complete
        if (
            refused_method
            and idle
            and not self.pipeline
            and self.completed == self._completed_before
        ):
            self._switch_to_h11(self._received)
            return
        self.transport.write(REFUSAL)
        self.transport.close()

    def _switch_to_h11(self, data: bytes) -> None:
        # ``data`` starts at the refused request: nothing before it is pending on this connection.
        self.connections.discard(self)
        h11_protocol = JsonH11Protocol(self.config, self.server_state, self.app_state, self.loop)
        self.transport.set_protocol(h11_protocol)
        h11_protocol.connection_made(self.transport)
        h11_protocol.data_received(data)


class Connection(Protocol):
    """What the faults need of a connection's transport (asyncio's and uvloop's both have it)."""

    def abort(self) -> None:
        """Close at once, dropping anything unsent."""

    def close(self) -> None:
        """Close once what was written is sent."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return a detail of the transport, such as its ``socket``."""


def connection_transport(receive: Receive) -> Connection | None:
    """Return the transport of the request's connection, if the server exposes it."""
    # ASGI has no way to abort a connection. uvicorn hands the app its request cycle's bound
    # ``receive``, and the cycle holds the transport; no middleware of the mock wraps receive.
    # uvloop's transports are no asyncio.Transport subclass, so they are recognised by duck type.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if all(
        callable(getattr(transport, name, None)) for name in ("abort", "close", "get_extra_info")
    ):
        return cast(Connection, transport)
    return None
