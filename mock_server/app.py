"""The mock as one Starlette app: ``/api/links``, ``/__mock/``, the contract, JSON 404 and 405."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import openapi
from mock_server import config as config_module
from mock_server import journal, reference
from mock_server.api import LinksEndpoint
from mock_server.config import MockConfig
from mock_server.control import Control
from mock_server.cors import cors_middleware
from mock_server.errors import StoreUnavailableError
from mock_server.journal import JournalMiddleware
from mock_server.responses import ErrorBodies
from mock_server.store import LinkStore, MemoryStore

CONFIG_ENV: Final = "HOKO_MOCK_RESOLVED_CONFIG"
VARY_ORIGIN: Final = (b"vary", b"Origin")
LINKS_PATH: Final = openapi.LINKS_PATH


class MockApp(Starlette):
    """The mock's Starlette app, with a direct path to ``/api/links`` for requests sans Origin."""

    def __init__(self, links: LinksEndpoint, store: LinkStore, errors: ErrorBodies, **options: Any):
        super().__init__(**options)
        self._links = links
        self._store = store
        self._errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``/api/links`` directly when CORS would add only Vary, else through Starlette."""
        if scope["type"] == "http" and scope["path"] == LINKS_PATH and not scope.get("root_path"):
            for name, _ in scope["headers"]:
                if name == b"origin":
                    break
            else:
                await self._links_directly(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _links_directly(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What the middleware stack does for such a request, without its per-request layers:
        # CORS appends Vary, the journal records the status, an exception becomes a bare 500.
        scope["app"] = self
        started = time.perf_counter()
        status = 0
        try:
            try:
                try:
                    response = await self._links.respond(scope, receive)
                except StoreUnavailableError as error:
                    response = unavailable(self._errors, error)
                response.raw_headers.append(VARY_ORIGIN)
                status = response.status_code
                await response(scope, receive, send)
            finally:
                await self._store.record(journal.entry(scope, status, started))
        except Exception:
            if not status:
                await self._errors.response(500)(scope, receive, send)
            raise


def unavailable(errors: ErrorBodies, error: StoreUnavailableError) -> Response:
    """Return the 503 that says which state store is unreachable; the client may retry."""
    return errors.response(503, [(b"retry-after", b"1")], detail=str(error), store=error.store)


def open_store(config: MockConfig) -> LinkStore:
    """Return the store the config asks for: Redis or a SQLite file with ``state``, else memory."""
    if config_module.is_redis_url(config.state):
        from mock_server.redis_store import RedisStore

        return RedisStore(str(config.state), config.state_prefix, config.journal_size)
    if config.state:
        from mock_server.sqlite_store import SqliteStore

        return SqliteStore(config.state, config.journal_size)
    return MemoryStore(config.journal_size)


def _closing(store: LinkStore) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await store.close()

    return lifespan


def create_app(config: MockConfig, store: LinkStore | None = None) -> Starlette:
    """Build the mock for ``config``; every spec lookup and compilation happens here, once."""
    store = store if store is not None else open_store(config)
    errors = ErrorBodies()
    links = LinksEndpoint(config, store, errors)
    control = Control(config, store, errors)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            allowed = (
                exc.headers.get("Allow", "")
                if isinstance(exc, HTTPException) and exc.headers
                else ""
            )
            return errors.response(405, [(b"allow", allowed.encode())])
        detail = (
            f"no route {request.method} {request.url.path}; the API is POST {openapi.LINKS_PATH}"
        )
        return errors.response(404 if status == 404 else 500, detail=detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        return errors.response(500)

    async def store_unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreUnavailableError)
        return unavailable(errors, exc)

    app = MockApp(
        links,
        store,
        errors,
        routes=[
            Route(openapi.LINKS_PATH, links),
            *control.routes(),
            *reference.routes(),
        ],
        middleware=[
            cors_middleware(config.cors_origins),
            Middleware(JournalMiddleware, store=store),
        ],
        exception_handlers={
            404: not_found,
            405: not_found,
            StoreUnavailableError: store_unavailable,
            Exception: server_error,
        },
        lifespan=_closing(store),
    )
    app.state.config = config
    app.state.store = store
    return app


def app_from_environment() -> Starlette:
    """Build the mock from the config layers a parent process left in the environment."""
    layers = orjson.loads(os.environ[CONFIG_ENV])
    return create_app(config_module.build(*((source, raw) for source, raw in layers)))
