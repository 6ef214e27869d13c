"""``/api/links``: the fake Hoko endpoint, checking 401, 403, 429, 400 in the documented order."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

import openapi
from mock_server.auth import Account, Authenticator
from mock_server.body import default_body_cap, read_capped
from mock_server.config import SCOPE_WRITE, MockConfig
from mock_server.errors import RejectedRequestError
from mock_server.journal import note
from mock_server.links import CountedRejectionError, LinkFactory, RateKey
from mock_server.prefer import Forced, Preferences, UnknownPreferenceError
from mock_server.responses import ErrorBodies, Headers, json_response
from mock_server.store import LinkStore, RateWindow, window_start
from mock_server.validation import RequestSchema, check_content_type, parse_json

ALLOWED: Final = openapi.LINKS_METHOD.upper()


class LinksEndpoint:
    """Answers every request to ``/api/links`` the way Hoko documents it."""

    def __init__(self, config: MockConfig, store: LinkStore, errors: ErrorBodies) -> None:
        self._config = config
        self._store = store
        self._errors = errors
        self._auth = Authenticator(config.keys)
        self._schema = RequestSchema()
        self._factory = LinkFactory(config, store)
        self._preferences = Preferences()
        self._cap = config.max_body_bytes or default_body_cap()
        self._latency = config.latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``/api/links`` as a plain ASGI app, so every method reaches :meth:`handle`."""
        response = await self.respond(scope, receive)
        await response(scope, receive, send)

    async def respond(self, scope: Scope, receive: Receive) -> Response:
        """Return the answer to one request to ``/api/links``, reading its raw headers once."""
        # One pass over the raw headers; the first of a repeated header wins.
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        return await self.handle(scope, receive, headers)

    async def handle(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> Response:
        """Answer one request to ``/api/links``."""
        if self._latency:
            await asyncio.sleep(self._latency)
        if scope["method"] != ALLOWED:
            return self._errors.response(405, [(b"allow", ALLOWED.encode())])
        try:
            forced = self._preferences.choose(headers.get("prefer"))
        except UnknownPreferenceError as error:
            issues = [issue.as_json() for issue in error.issues]
            note(scope, issues=issues)
            return self._errors.response(400, issues=issues, available=error.available)
        if forced is not None:
            return await self._forced(scope, headers, forced)
        return await self._create(scope, receive, headers)

    async def _create(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> Response:
        now = time.time()
        try:
            account = self._auth.authenticate(headers.get("authorization"))
        except RejectedRequestError as error:
            return self._errors.rejection(error)
        rate = RateKey(account.key_id, self._config.rate_limit, self._config.rate_window, now)
        if SCOPE_WRITE not in account.key.scopes:
            return self._errors.response(403, (await self._store.hit(*rate)).headers())
        # A valid batch is counted and stored in one store call; anything else is counted alone,
        # and a request over the limit answers 429 whatever its body.
        try:
            check_content_type(headers.get("content-type"))
            raw = await read_capped(receive, headers.get("content-length", ""), self._cap)
            body = parse_json(raw)
            self._schema.check(body)
            window, content = await self._factory.create(body, account.key.plan, rate)
            created = len(body)
        except RejectedRequestError as error:
            counted = error.window if isinstance(error, CountedRejectionError) else None
            window = counted or await self._store.hit(*rate)
            if window.exceeded:
                return self._limited(window, now)
            note(scope, issues=[issue.as_json() for issue in error.issues])
            return self._errors.rejection(error, window.headers())
        except ClientDisconnect:
            return self._errors.response(400, (await self._store.hit(*rate)).headers())
        note(scope, links=created)
        return json_response(201, content, window.headers())

    def _limited(self, window: RateWindow, now: float) -> Response:
        retry_after = window.retry_after(now)
        rate_headers = [*window.headers(), (b"retry-after", str(retry_after).encode())]
        return self._errors.response(429, rate_headers, retryAfter=retry_after)

    async def _forced(self, scope: Scope, headers: dict[str, str], forced: Forced) -> Response:
        note(scope, forced={"status": forced.status, "example": forced.example})
        if forced.status == 401:
            return json_response(401, forced.body)
        now = time.time()
        account = self._auth.peek(headers.get("authorization"))
        window = await self._window(account, now)
        rate_headers: Headers = window.headers()
        if forced.status == 429:
            retry_after: Any = orjson.loads(forced.body).get("retryAfter", window.retry_after(now))
            exhausted = RateWindow(window.limit, window.limit + 1, window.resets_at)
            rate_headers = [*exhausted.headers(), (b"retry-after", str(retry_after).encode())]
        return json_response(forced.status, forced.body, rate_headers)

    async def _window(self, account: Account | None, now: float) -> RateWindow:
        limit, length = self._config.rate_limit, self._config.rate_window
        if account is None:
            return RateWindow(limit, 0, window_start(now, length) + length)
        return await self._store.peek(account.key_id, limit, length, now)
