"""An in-memory implementation of the contract, from the documentation, with switchable faults.

Each fault breaks one documented rule; each free variant differs only where the contract says free.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
import time
import unicodedata
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import contract_faults
import jsonschema_rs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import openapi

FULL_KEY, NO_SCOPE_KEY, BASIC_KEY = "hoko_test_full", "hoko_test_noscope", "hoko_test_basic"
COLLECTION = "550e8400-e29b-41d4-a716-446655440000"
OTHER_COLLECTION = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
PLAN_FIELDS = ("expiresAt", "expiredUrl", "password", "cloaked", "ios", "android", "geo")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
QR_SUFFIX = "&size=512&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"


@dataclass(frozen=True)
class ServerOptions:
    """Which fault (at most one) and which free variants the server runs with."""

    fault: str | None = None
    free: frozenset[str] = frozenset()
    rate_limit: int = 500
    rate_window: float = 10.0
    latency: float = 0.0
    batch_limit: int = 20


@dataclass
class Workspace:
    """The in-memory state: links by externalId, used shortIds, and rate-limit windows."""

    external_ids: set[str] = field(default_factory=set)
    short_ids: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0


def error(
    status: int, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Return the documented error body of ``status``."""
    en, ar = openapi.error_texts(status)
    return JSONResponse({"error": {"en": en, "ar": ar}, **(extra or {})}, status, headers=headers)


def encode_uri_component(text: str) -> str:
    """Percent-encode like JavaScript's encodeURIComponent."""
    return urllib.parse.quote(text, safe="-_.!~*'()")


class ReferenceServer:
    """The POST /api/links endpoint, correct unless a fault is switched on."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.state = Workspace()
        self.journal: list[tuple[str, bytes]] = []
        schema = openapi.request_schema()
        if "long-strings-accepted" in options.free:
            schema = without_bounds(schema)
        self.validator = jsonschema_rs.Draft202012Validator(schema)
        self.app = Starlette(routes=[Route("/api/links", self.create_links, methods=["POST"])])

    def broken(self, fault: str) -> bool:
        """Tell whether ``fault`` is switched on."""
        return self.options.fault == fault

    async def create_links(self, request: Request) -> Response:
        """Answer POST /api/links in the documented order: 401, 403, 429, 400, 201."""
        if self.options.latency:
            await asyncio.sleep(self.options.latency)
        body = await request.body()
        self.journal.append((request.headers.get("authorization", ""), body))
        if self.broken("body-before-auth") and not self.body_ok(body):
            return error(400)
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if self.broken("limit-before-auth") and self.any_window_full():
            return error(429, {"retryAfter": 1}, {"Retry-After": "1"})
        if "authorization" not in request.headers and self.broken("no-auth-500"):
            return PlainTextResponse("Internal Server Error", 500)
        known = key in (FULL_KEY, NO_SCOPE_KEY, BASIC_KEY)
        if not known or (scheme != "Bearer" and not self.broken("any-scheme")):
            return error(403 if self.broken("unknown-key-403") else 401)
        if key == NO_SCOPE_KEY:
            if self.broken("scope-401"):
                return error(401)
            return error(
                403, None if self.broken("no-missing-scopes") else {"missingScopes": ["linksWrite"]}
            )
        limited, headers = self.count_request(key)
        if limited is not None:
            return limited
        response = self.create(body, key)
        if response.status_code == 400 and self.broken("400-not-counted"):
            self.uncount(key)
        if self.broken("counted-per-link") and response.status_code == 201:
            self.uncount(key, -(len(json.loads(response.body)) - 1))
        if self.broken("rate-headers-float"):
            headers["X-RateLimit-Reset"] += ".5"
        if "rate-headers-only-on-429" not in self.options.free:
            response.headers.update(headers)
        return response

    def any_window_full(self) -> bool:
        """Tell whether some key has spent its window (for the fault that limits before auth)."""
        return any(used >= self.options.rate_limit for _, used in self.state.windows.values())

    def uncount(self, key: str, requests: int = 1) -> None:
        """Give ``requests`` back to the key's window (negative: take more)."""
        with self.state.lock:
            start, used = self.state.windows[key]
            self.state.windows[key] = (start, used - requests)

    def count_request(self, key: str) -> tuple[Response | None, dict[str, str]]:
        """Count one request in the key's fixed window; return a 429 when the window is full."""
        now = time.time()
        with self.state.lock:
            start, used = self.state.windows.get(key, (now, 0))
            if now >= start + self.options.rate_window:
                start, used = now, 0
            used += 1
            self.state.windows[key] = (start, used)
        reset = start + self.options.rate_window
        headers = {
            "X-RateLimit-Limit": str(self.options.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.options.rate_limit - used)),
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }
        if used <= self.options.rate_limit:
            return None, headers
        retry = max(1, math.ceil(reset - now))
        if self.broken("rate-limit-503"):
            return PlainTextResponse(
                "Service Unavailable", 503, headers={"Retry-After": str(retry)}
            ), headers
        extra = {} if self.broken("no-retry-after-field") else {"retryAfter": retry}
        sent = {} if self.broken("no-rate-headers-on-429") else dict(headers)
        if "no-retry-after-header" not in self.options.free:
            sent["Retry-After"] = str(retry)
        return error(429, extra, sent), headers

    def body_ok(self, body: bytes) -> bool:
        """Tell whether ``body`` is a JSON array (for the fault that reads it before auth)."""
        try:
            return isinstance(json.loads(body), list)
        except ValueError:
            return False

    def create(self, body: bytes, key: str) -> Response:
        """Validate the batch and create every link, or none."""
        try:
            items = json.loads(body)
        except ValueError:
            return error(400)
        if not isinstance(items, list):
            return PlainTextResponse("boom", 500) if self.broken("not-array-500") else error(400)
        if self.broken("non-ascii-500") and any(not str(item).isascii() for item in items):
            return PlainTextResponse("UnicodeEncodeError", 500)
        problem = self.invalid(items, key)
        if problem is not None:
            if self.broken("non-atomic"):
                self.reserve([item for item in items if isinstance(item, dict)])
            if self.broken("error-text-plain"):
                return PlainTextResponse("Invalid request", 400)
            if self.broken("flat-error"):
                return JSONResponse({"error": "Invalid request"}, 400)
            return error(400, {"details": problem} if "extra-fields" in self.options.free else None)
        with self.state.lock:
            if not self.broken("duplicate-external-id-across") and any(
                self.identity(item.get("externalId")) in self.state.external_ids for item in items
            ):
                return error(400)
            if (
                self.broken("url-unique") and any(item["url"] in self.state.urls for item in items)
            ) or (self.broken("url-unique") and len({i["url"] for i in items}) < len(items)):
                return error(400)
            self.state.urls.update(item["url"] for item in items)
            self.reserve(items)
            links = [self.link(item) for item in items]
        if self.broken("order-reversed"):
            links.reverse()
        if self.broken("created-then-500"):
            # Stored, then the answer's serialization crashes: a classic half-finished request.
            return PlainTextResponse("Internal Server Error", 500)
        if self.broken("created-as-text"):
            return Response(json.dumps(links), 201, media_type="text/plain")
        return JSONResponse(links, 200 if self.broken("status-200") else 201)

    def reserve(self, items: list[dict[str, Any]]) -> None:
        """Take the externalIds of ``items``."""
        self.state.external_ids.update(
            self.identity(item["externalId"])
            for item in items
            if isinstance(item.get("externalId"), str)
        )

    def identity(self, external_id: Any) -> Any:
        """Return the key an externalId is stored under (folded when a fault says so)."""
        if not isinstance(external_id, str):
            return external_id
        if self.broken("external-id-case-folded"):
            return external_id.casefold()
        if self.broken("external-id-normalized"):
            return unicodedata.normalize("NFC", external_id)
        return external_id

    def invalid(self, items: list[Any], key: str) -> str | None:
        """Return why the batch is a 400, or None when every rule holds."""
        limit = 5 if key == BASIC_KEY else self.options.batch_limit
        if self.broken("limit-too-low"):
            limit -= 1
        if self.broken("limit-off-by-one"):
            limit += 1
        if not items and not self.broken("empty-array-201"):
            return "empty array"
        if len(items) > limit:
            return "too many links"
        schema_items = (
            items[: self.options.batch_limit] if self.broken("limit-off-by-one") else items
        )
        for index, item in enumerate(schema_items):
            problem = self.invalid_item(item, key)
            if problem is not None:
                return f"item {index}: {problem}"
        external = [self.identity(item["externalId"]) for item in items if "externalId" in item]
        if len(set(external)) != len(external) and not self.broken("duplicate-external-id-within"):
            return "externalId repeated"
        return None

    def invalid_item(self, item: Any, key: str) -> str | None:
        """Return why one item is invalid, or None."""
        if self.broken("null-accepted") and isinstance(item, dict):
            item = {name: value for name, value in item.items() if value is not None}
        if self.broken("any-url"):
            item = (
                {**item, "url": "https://example.com"}
                if isinstance(item, dict) and isinstance(item.get("url"), str)
                else item
            )
        if "lenient-urls" in self.options.free and isinstance(item, dict):
            item = {
                name: "https://example.com" if loosely_http(name, value) else value
                for name, value in item.items()
            }
        if "utm-unknown-ignored" in self.options.free and isinstance(item, dict):
            utm = item.get("utm")
            if isinstance(utm, dict):
                item = {**item, "utm": {k: v for k, v in utm.items() if k in UTM_KEYS}}
        item = self.loosened(item)
        refused = self.refused(item)
        if refused is not None:
            return refused
        if self.broken("schema-unchecked") and {"url", "collectionId"} <= set(item):
            return None  # validation switched off: only the two required fields are looked at
        error_found = next(iter(self.validator.iter_errors([item])), None)
        if error_found is not None:
            return error_found.message
        if self.broken("rejects-utm-referral") and "referral" in item.get("utm", {}):
            return "utm.referral"
        if self.broken("rejects-empty-title") and item.get("title") == "":
            return "empty title"
        if "expiresAt" in item and not valid_date_time(item["expiresAt"]):
            return "expiresAt"
        if "past-expiry-rejected" in self.options.free and in_the_past(item.get("expiresAt")):
            return "expiresAt in the past"
        if "unknown-properties-rejected" in self.options.free and set(item) - self.known_fields():
            return "unknown property"
        if item["collectionId"].lower() not in (COLLECTION, OTHER_COLLECTION) and not self.broken(
            "any-collection"
        ):
            return "unknown collection"
        gated = [name for name in PLAN_FIELDS if name in item]
        if self.broken("plan-gates-ignored"):
            gated = []
        if self.broken("cloaked-ungated"):
            gated = [name for name in gated if name != "cloaked"]
        if key == BASIC_KEY and gated:
            return "plan feature"
        return None

    def loosened(self, item: Any) -> Any:
        """Return ``item`` as a server that checks less than the contract sees it."""
        return contract_faults.loosened(item, self.options.fault, self.options.free)

    def refused(self, item: Any) -> str | None:
        """Return why a server stricter than the contract refuses a valid ``item``."""
        return contract_faults.refused(item, self.options.fault)

    def known_fields(self) -> set[str]:
        """Return the fields a link object documents."""
        return set(openapi.schema_at("#/components/schemas/LinkFields")["properties"])

    def link(self, item: dict[str, Any]) -> dict[str, Any]:
        """Return the created link for ``item``."""
        self.state.counter += 1
        short_id = self.short_id()
        short_url = f"https://hoko.to/{short_id}"
        if self.broken("short-url-http"):
            short_url = f"http://hoko.to/{short_id}"
        qr = "https://hoko.to/qrcode?text=" + encode_uri_component(short_url + "?qr=1") + QR_SUFFIX
        if self.broken("qr-code-size"):
            qr = qr.replace("size=512", "size=256")
        echoed = {name: value for name, value in item.items() if name in self.known_fields()}
        if "omit-optional-echoes" in self.options.free:
            echoed = {"url": item["url"]}
        echoed = contract_faults.reshaped_echo(echoed, self.options.fault)
        if self.broken("echo-trimmed"):
            echoed = {k: v.strip() if isinstance(v, str) else v for k, v in echoed.items()}
        link = {
            **echoed,
            "id": self.link_id(),
            "shortUrl": short_url,
            "qrCode": qr,
            "createdAt": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        if self.broken("missing-qr-code"):
            del link["qrCode"]
        if self.broken("created-at-missing"):
            del link["createdAt"]
        if "extra-fields" in self.options.free:
            link |= {"clicks": 0, "workspaceId": str(uuid.uuid4()), "qrCodePng": None}
        return link

    def short_id(self) -> str:
        """Return a fresh shortId (reused from 1 on every request when broken)."""
        if self.broken("short-id-reused"):
            return f"s{len(self.state.short_ids) % 3}"
        if "other-id-formats" in self.options.free:
            candidate = f"Ab-_.~{self.state.counter:06d}zz"
        else:
            candidate = uuid.uuid4().hex[:7]
            while candidate in self.state.short_ids:
                candidate = uuid.uuid4().hex[:7]
        self.state.short_ids.add(candidate)
        return candidate

    def link_id(self) -> str:
        """Return a fresh link id."""
        if "other-id-formats" in self.options.free:
            return str(uuid.uuid1()).upper()
        return str(uuid.uuid4())


UTM_KEYS = frozenset(openapi.schema_at("#/components/schemas/Utm")["properties"])
LOOSE_HTTP_URL = re.compile(r"(?i:https?)://[^\x00-\x20\x7f/?#]+[^\x00-\x20\x7f]*\Z")


def loosely_http(name: str, value: Any) -> bool:
    """Tell whether a URL field holds what a lenient server takes for an http(s) URL."""
    url_fields = ("url", "image", "expiredUrl", "ios", "android")
    return name in url_fields and isinstance(value, str) and bool(LOOSE_HTTP_URL.match(value))


def valid_date_time(text: str) -> bool:
    """Tell whether ``text`` is an RFC 3339 date-time."""
    if not DATE_TIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00").replace(":60", ":59"))
    except ValueError:
        return False
    return True


def without_bounds(schema: Any) -> Any:
    """Return ``schema`` without maxLength and maxProperties (decision 9 allows longer)."""
    if isinstance(schema, dict):
        return {
            k: without_bounds(v)
            for k, v in schema.items()
            if k not in ("maxLength", "maxProperties")
        }
    if isinstance(schema, list):
        return [without_bounds(v) for v in schema]
    return schema


def in_the_past(text: str | None) -> bool:
    """Tell whether a valid date-time lies before now."""
    if text is None:
        return False
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00").replace(":60", ":59"))
    return moment < datetime.now(moment.tzinfo)


def build_app(options: ServerOptions) -> Starlette:
    """Return the reference app for ``options``."""
    return ReferenceServer(options).app
