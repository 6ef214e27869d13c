"""CORS for browser apps: origin patterns like ``http://localhost:*``, rate headers exposed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.responses import ErrorBodies, Headers

ALLOWED_METHODS: Final = ("GET", "POST")
ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "Prefer", "X-Mock-Admin-Token")
# Headers a browser lets any cross-origin request send, allowed without being listed.
SAFELISTED_HEADERS: Final = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
EXPOSED_HEADERS: Final = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)
MAX_AGE: Final = 600
VARY: Final = b"vary"
VARY_ORIGIN: Final = (VARY, b"Origin")
PREFLIGHT_VARY: Final = (
    VARY,
    b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    b"Access-Control-Request-Private-Network",
)


def origin_regex(patterns: Sequence[str]) -> str:
    """Turn origin patterns into one regex: ``:*`` is any port or none, another ``*`` one label."""
    alternatives = []
    for pattern in patterns:
        escaped = re.escape(pattern)
        escaped = escaped.replace(r":\*", r"(?::[0-9]{1,5})?").replace(r"\*", r"[A-Za-z0-9-]+")
        alternatives.append(escaped)
    return "|".join(f"(?:{alternative})" for alternative in alternatives)


def vary_on_origin(headers: Headers) -> Headers:
    """Return ``headers`` saying the answer varies with Origin, merged into a Vary already there."""
    for index, (name, value) in enumerate(headers):
        if name == VARY:
            merged = [*headers]
            merged[index] = (VARY, value + b", Origin")
            return merged
    return [*headers, VARY_ORIGIN]


class Cors:
    """A pure ASGI layer: preflights answered, allowed origins named, every answer Vary: Origin."""

    def __init__(self, app: ASGIApp, patterns: Sequence[str], errors: ErrorBodies) -> None:
        self._app = app
        self._errors = errors
        self._anywhere = "*" in patterns
        self._fullmatch: Callable[[str], object] = re.compile(origin_regex(patterns)).fullmatch
        self._exposed = (
            b"access-control-expose-headers",
            ", ".join(EXPOSED_HEADERS).encode("latin-1"),
        )
        self._allowed_headers = frozenset(
            h.lower() for h in (*SAFELISTED_HEADERS, *ALLOWED_HEADERS)
        )
        self._preflight_headers: Headers = [
            PREFLIGHT_VARY,
            (b"access-control-allow-methods", ", ".join(ALLOWED_METHODS).encode("latin-1")),
            (b"access-control-max-age", b"%d" % MAX_AGE),
            (
                b"access-control-allow-headers",
                ", ".join(sorted({*SAFELISTED_HEADERS, *ALLOWED_HEADERS})).encode("latin-1"),
            ),
        ]

    def allows(self, origin: str) -> bool:
        """Return whether ``origin`` may read the answers."""
        return self._anywhere or self._fullmatch(origin) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a preflight, or pass the request on and add the CORS headers to its answer."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        origin: bytes | None = None
        requested_method: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"origin" and origin is None:
                origin = value
            elif name == b"access-control-request-method" and requested_method is None:
                requested_method = value
        if origin is not None and requested_method is not None and scope["method"] == "OPTIONS":
            await self._preflight(scope, origin.decode("latin-1"))(scope, receive, send)
            return
        added = self._simple_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*vary_on_origin(message.get("headers", [])), *added]
            await send(message)

        await self._app(scope, receive, send_with_cors)

    def _simple_headers(self, origin: bytes | None) -> Headers:
        if origin is None:
            return []
        if self._anywhere:
            return [self._exposed, (b"access-control-allow-origin", b"*")]
        if self.allows(origin.decode("latin-1")):
            return [self._exposed, (b"access-control-allow-origin", origin)]
        return [self._exposed]

    def _preflight(self, scope: Scope, origin: str) -> ASGIApp:
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        failures = []
        answer = list(self._preflight_headers)
        if self.allows(origin):
            allowed = "*" if self._anywhere else origin
            answer.append((b"access-control-allow-origin", allowed.encode("latin-1")))
        else:
            failures.append("origin")
        if headers["access-control-request-method"] not in ALLOWED_METHODS:
            failures.append("method")
        requested = headers.get("access-control-request-headers")
        if requested is not None and not all(
            header.strip().lower() in self._allowed_headers for header in requested.split(",")
        ):
            failures.append("headers")
        if "access-control-request-private-network" in headers:
            failures.append("private-network")
        if failures:
            detail = f"Disallowed CORS {', '.join(failures)}"
            return self._errors.response(400, answer, detail=detail)
        accepted = PlainTextResponse("OK")
        accepted.raw_headers.extend(answer)
        return accepted
