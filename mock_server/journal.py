"""The request journal: method, path, status, time and outcome of each request, never a key."""

from __future__ import annotations

import datetime
import time
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.store import LinkStore

CONTROL_PREFIX: Final = "/__mock/"
JOURNAL_KEY: Final = "mock.journal"


class JournalMiddleware:
    """Records every request outside ``/__mock/`` once its response has started."""

    def __init__(self, app: ASGIApp, store: LinkStore) -> None:
        self._app = app
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, then journal it."""
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_watch)
        finally:
            await self._store.record(entry(scope, status, started))


def entry(scope: Scope, status: int, started: float) -> dict[str, Any]:
    """Return the journal entry of a request answered with ``status`` (0: no answer started)."""
    recorded: dict[str, Any] = {
        "time": time.time(),
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "durationMs": round((time.perf_counter() - started) * 1000, 3),
    }
    details = scope.get(JOURNAL_KEY)
    if details:
        recorded.update(details)
    return recorded


def rendered(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a journal entry for display, its epoch time as an RFC 3339 UTC date-time."""
    stamp = datetime.datetime.fromtimestamp(entry["time"], datetime.UTC)
    return {**entry, "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def note(scope: Scope, **details: Any) -> None:
    """Attach details of the current request to its journal entry."""
    scope.setdefault(JOURNAL_KEY, {}).update(details)
