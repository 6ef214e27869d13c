"""Transport faults on demand: ``Prefer: fault=reset|close|slow-body|timeout``, or at random."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.errors import Issue
from mock_server.journal import CONTROL_PREFIX, note
from mock_server.prefer import preference
from mock_server.protocol import connection_transport
from mock_server.responses import ErrorBodies

FAULTS: Final = ("reset", "close", "slow-body", "timeout")
FAULT_PREFERENCE: Final = "fault"
# A slow body takes this long in all, in at least this many pieces.
SLOW_BODY_SECONDS: Final = 2.0
SLOW_BODY_PIECES: Final = 8
# A timeout holds the request this long, unless the client gives up first, then hangs up.
TIMEOUT_SECONDS: Final = 120.0
DISCONNECT_WAIT_SECONDS: Final = 5.0
LINGER_OFF: Final = struct.pack("ii", 1, 0)


async def _until_disconnected(receive: Receive, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass


async def _hang_up(receive: Receive, send: Send, reset: bool) -> None:
    transport = connection_transport(receive)
    if transport is None:
        # Without the transport, a started and never-finished answer makes the server close.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_OFF)
        transport.abort()
    else:
        transport.close()
    await _until_disconnected(receive, DISCONNECT_WAIT_SECONDS)


def _slowly(send: Send) -> Send:
    async def send_slowly(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        step = max(1, -(-len(body) // SLOW_BODY_PIECES))
        pieces = [body[start : start + step] for start in range(0, len(body), step)] or [b""]
        for index, piece in enumerate(pieces):
            await asyncio.sleep(SLOW_BODY_SECONDS / len(pieces))
            last = index == len(pieces) - 1
            await send({"type": "http.response.body", "body": piece, "more_body": more or not last})

    return send_slowly


class FaultMiddleware:
    """Serves the fault a request prefers, or a random one at ``rate``, and journals it."""

    def __init__(self, app: ASGIApp, rate: float = 0.0, seed: int | None = None) -> None:
        self._app = app
        self._rate = rate
        self._random = random.Random(seed)
        self._errors = ErrorBodies()

    def _drawn(self, scope: Scope) -> str | None:
        if not self._rate or scope["path"].startswith(CONTROL_PREFIX):
            return None
        if self._random.random() >= self._rate:
            return None
        return self._random.choice(FAULTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, or the fault it asks for or draws."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        asked = _asked(scope)
        if asked is not None and asked not in FAULTS:
            await self._refuse(asked, scope, receive, send)
            return
        fault = asked or self._drawn(scope)
        if fault is None:
            await self._app(scope, receive, send)
            return
        note(scope, fault=fault)
        if fault == "slow-body":
            await self._app(scope, receive, _slowly(send))
        elif fault == "timeout":
            await _until_disconnected(receive, TIMEOUT_SECONDS)
            await _hang_up(receive, send, reset=False)
        else:
            await _hang_up(receive, send, reset=fault == "reset")

    async def _refuse(self, asked: str, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"no fault {asked!r}; known faults: {', '.join(FAULTS)}"
        issues: list[dict[str, Any]] = [Issue("Prefer", "preferFault", message).as_json()]
        note(scope, issues=issues)
        await self._errors.response(400, issues=issues, faults=list(FAULTS))(scope, receive, send)


def _asked(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"prefer":
            return preference(value.decode("latin-1"), FAULT_PREFERENCE)
    return None
