"""The mock as one Starlette app: ``/api/links``, ``/__mock/``, the contract, JSON 404 and 405."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Final

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import openapi
from mock_server import allocator, reference
from mock_server import config as config_module
from mock_server.api import LinksEndpoint
from mock_server.config import MockConfig
from mock_server.control import Control
from mock_server.cors import Cors
from mock_server.errors import StoreUnavailableError
from mock_server.faults import FaultMiddleware
from mock_server.journal import JournalMiddleware
from mock_server.qr_codes import QrCodes
from mock_server.resolver import Resolver
from mock_server.responses import ErrorBodies
from mock_server.store import LinkStore, MemoryStore

CONFIG_ENV: Final = "HOKO_MOCK_RESOLVED_CONFIG"
YOUNG_COLLECTION_THRESHOLD: Final = 20_000


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


def _lifespan(store: LinkStore) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # What startup built (the spec, compiled validators, modules) lives as long as the
        # process: frozen, the cyclic GC stops walking it on every full collection. A request
        # frees nearly all it allocates by reference counting, but a 10,000-link batch holds
        # ~30,000 containers at once: a young generation of 700 would be collected ~40 times.
        allocator.keep_freed_memory()
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD)
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

    routes = [
        Route(openapi.LINKS_PATH, links),
        *control.routes(),
        *reference.routes(config),
        *QrCodes(errors).routes(),
    ]
    short_links = Resolver(config, store, errors, routes)
    app = Starlette(
        # The short-link catch-all comes last and never takes a path the others own.
        routes=[*routes, *short_links.routes()],
        middleware=[
            Middleware(Cors, patterns=config.cors_origins, errors=errors),
            Middleware(JournalMiddleware, store=store),
            Middleware(FaultMiddleware, rate=config.fault_rate, seed=config.fault_seed),
        ],
        exception_handlers={
            404: not_found,
            405: not_found,
            StoreUnavailableError: store_unavailable,
            Exception: server_error,
        },
        lifespan=_lifespan(store),
    )
    app.state.config = config
    app.state.store = store
    return app


def app_from_environment() -> Starlette:
    """Build the mock from the config layers a parent process left in the environment."""
    layers = orjson.loads(os.environ[CONFIG_ENV])
    return create_app(config_module.build(*((source, raw) for source, raw in layers)))
