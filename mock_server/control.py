"""``/__mock/``: health, created links, reset, journal and config, for scripts and harnesses."""

from __future__ import annotations

import hmac
import operator
from collections.abc import Awaitable, Callable
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.config import MockConfig
from mock_server.errors import Issue
from mock_server.journal import rendered
from mock_server.links import ShortLinks
from mock_server.responses import ErrorBodies, json_body, json_response
from mock_server.store import LinkStore

ADMIN_HEADER: Final = "x-mock-admin-token"
DEFAULT_JOURNAL_LIMIT: Final = 100
ANSWERED_AT: Final = operator.itemgetter("time")

Endpoint = Callable[[Request], Awaitable[Response]]


class Control:
    """The control endpoints, optionally behind an admin token."""

    def __init__(self, config: MockConfig, store: LinkStore, errors: ErrorBodies) -> None:
        self._config = config
        self._store = store
        self._errors = errors
        self._token = config.admin_token.encode() if config.admin_token else None
        self._short_links = ShortLinks(config.short_url_base)

    def routes(self) -> list[Route]:
        """Return the routes under ``/__mock/``."""
        return [
            Route("/__mock/health", self._guard(self.health), methods=["GET"]),
            Route("/__mock/links", self._guard(self.links), methods=["GET"]),
            Route("/__mock/reset", self._guard(self.reset), methods=["POST"]),
            Route("/__mock/journal", self._guard(self.journal), methods=["GET"]),
            Route("/__mock/config", self._guard(self.config), methods=["GET"]),
        ]

    def _guard(self, endpoint: Endpoint) -> Endpoint:
        if self._token is None:
            return endpoint
        token = self._token

        async def guarded(request: Request) -> Response:
            presented = request.headers.get(ADMIN_HEADER, "").encode("latin-1")
            if not hmac.compare_digest(presented, token):
                detail = f"send the admin token in the {ADMIN_HEADER} header"
                return self._errors.response(
                    401, issues=[Issue("header", "adminToken", detail).as_json()]
                )
            return await endpoint(request)

        return guarded

    async def health(self, request: Request) -> Response:
        """Say the mock is up and how many links it holds."""
        return json_body({"status": "ok", "links": await self._store.count()})

    async def links(self, request: Request) -> Response:
        """List created links, filtered by ``collectionId`` and ``externalId``."""
        collection = request.query_params.get("collectionId")
        external_id = request.query_params.get("externalId")
        found = await self._store.find(collection.lower() if collection else None, external_id)
        answered = self._short_links.answered
        content = b'{"count":%d,"links":[' % len(found) + b",".join(map(answered, found)) + b"]}"
        return json_response(200, content)

    async def reset(self, request: Request) -> Response:
        """Forget every link, externalId, rate-limit window and journal entry."""
        await self._store.reset()
        return json_body({"reset": True, "links": await self._store.count()})

    async def journal(self, request: Request) -> Response:
        """Return the last ``limit`` requests (default 100), oldest first."""
        raw = request.query_params.get("limit", str(DEFAULT_JOURNAL_LIMIT))
        # isascii: int() fails on digits such as '²'; a huge number means "every entry".
        if not (raw.isascii() and raw.isdigit()):
            issue = Issue("limit", "journalLimit", f"limit must be a whole number, got {raw!r}")
            return self._errors.response(400, issues=[issue.as_json()])
        limit = int(raw) if len(raw) <= 18 else 10**18
        # Replicas and workers write their entries as each flushes: listed by when answered.
        answered = sorted(await self._store.journal(limit), key=ANSWERED_AT)
        entries = [rendered(entry) for entry in answered]
        return json_response(200, orjson.dumps({"count": len(entries), "entries": entries}))

    async def config(self, request: Request) -> Response:
        """Return the configuration in use: keys, plans, collections, rate limit."""
        return json_body(self._config.describe())
