"""``GET /{shortId}``: a stored link resolved the way Dub resolves one, each visit journalled."""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import re
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
import ua_parser
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from mock_server import pages
from mock_server.config import MockConfig
from mock_server.journal import note
from mock_server.links import ShortLinks
from mock_server.responses import ErrorBodies
from mock_server.store import LinkStore, StoredLink

# Longer than any shortId the mock makes or the spec allows; the lookup is skipped past it.
MAX_SHORT_ID: Final = 128
SHORT_ID: Final = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_SHORT_ID}}}")
COUNTRY: Final = re.compile(r"[A-Za-z]{2}")
# The spec caps a password at 256 characters; a form of a few of those is never this long.
MAX_FORM_BYTES: Final = 4096
FORM_TYPE: Final = "application/x-www-form-urlencoded"
COOKIE: Final = "hoko_link_access"
PASSWORD_FIELD: Final = "password"  # noqa: S105 - a form field's name
PASSWORD_PARAM: Final = "pw"  # noqa: S105 - a query parameter's name
QR_PARAM: Final = "qr"
# Query parameters the short link itself consumes, never passed on to the destination.
CONSUMED: Final = frozenset({QR_PARAM, PASSWORD_PARAM})
DEVICE_RULES: Final = {"iOS": "ios", "Android": "android"}
PARSES_KEPT: Final = 10_000
# A visit's answer depends on its User-Agent, country and cookie: nobody may keep it.
NO_STORE_RAW: Final = ((b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"))


@dataclass(frozen=True, slots=True)
class Decision:
    """What a visit gets: the rule that decided, and the response it decided on."""

    rule: str
    response: Response
    destination: str | None = None


def access_token(link: Mapping[str, Any]) -> str:
    """Return the cookie value proving a visitor gave ``link``'s password."""
    key = str(link["password"]).encode("utf-8")
    message = f"{link['id']}/{link['shortId']}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def expired(link: Mapping[str, Any], now: float) -> bool:
    """Return whether ``link`` has an ``expiresAt`` at or before ``now``."""
    raw = link.get("expiresAt")
    if not isinstance(raw, str):
        return False
    try:
        moment = datetime.datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp() <= now


def merged(destination: str, params: Iterable[tuple[str, str]]) -> str:
    """Return ``destination`` with the short link's query parameters added, theirs winning."""
    passed = [(name, value) for name, value in params if name not in CONSUMED]
    if not passed:
        return destination
    parts = urllib.parse.urlsplit(destination)
    names = {name for name, _ in passed}
    kept = [
        pair
        for pair in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if pair[0] not in names
    ]
    query = urllib.parse.urlencode([*kept, *passed])
    return urllib.parse.urlunsplit(parts._replace(query=query))


def device_of(user_agent: str) -> str | None:
    """Return ``ios`` or ``android`` for a phone or tablet's User-Agent, else None."""
    found = ua_parser.parse_os(user_agent) if user_agent else None
    return DEVICE_RULES.get(found.family) if found is not None else None


class Resolver:
    """Answers visits to short links, in the order Dub checks a link's fields."""

    def __init__(
        self, config: MockConfig, store: LinkStore, errors: ErrorBodies, beside: Iterable[BaseRoute]
    ) -> None:
        self._store = store
        self._errors = errors
        self._short_links = ShortLinks(config.short_url_base)
        self._country_headers = tuple(name.lower() for name in config.country_headers)
        self._default_country = config.default_country
        self._parses: dict[str, tuple[bytes, dict[str, Any]]] = {}
        # First path segments that other routes own, such as docs, api or openapi.*.
        paths = (getattr(route, "path", "").strip("/") for route in beside)
        self.reserved = frozenset(path.split("/")[0].partition(".")[0] for path in paths if path)

    def routes(self) -> list[BaseRoute]:
        """Return the short-link route, which never takes a first path segment of another."""
        return [ShortLinkRoute(self)]

    def owns(self, short_id: str) -> bool:
        """Return whether ``/short_id`` is a short link's path rather than another route's."""
        return short_id.partition(".")[0] not in self.reserved

    async def resolve(self, request: Request) -> Response:
        """Resolve one visit and journal it as a click."""
        short_id = request.path_params["short_id"]
        raw_query: bytes = request.scope["query_string"]
        params = (
            urllib.parse.parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)
            if raw_query
            else []
        )
        decision = await self._decide(request, short_id, params)
        click: dict[str, Any] = {
            "shortId": short_id[:MAX_SHORT_ID],
            "rule": decision.rule,
            "status": decision.response.status_code,
            "destination": decision.destination,
            "qr": (QR_PARAM, "1") in params,
        }
        note(request.scope, click=click)
        return decision.response

    async def _decide(
        self, request: Request, short_id: str, params: list[tuple[str, str]]
    ) -> Decision:
        stored = await self._store.get(short_id) if SHORT_ID.fullmatch(short_id) else None
        if stored is None:
            if request.method == "POST":
                # Only a password form posts to a short link; any other POST missed the API.
                raise HTTPException(404)
            return Decision("unknown", pages.not_found(short_id))
        link = self._parsed(stored)
        if link.get("password"):
            gate = await self._password_gate(request, link, params)
            if gate is not None:
                return gate
        elif request.method == "POST":
            allowed = {"Allow": "GET, HEAD"}
            refused = pages.problem(405, "Method not allowed", "This link takes no form.")
            refused.headers.update(allowed)
            return Decision("method", refused)
        if expired(link, time.time()):
            expired_url = link.get("expiredUrl")
            if expired_url:
                return _redirect("expired", merged(expired_url, params))
            return Decision("expired", pages.expired())
        if link.get("cloaked"):
            destination = merged(link["url"], params)
            return Decision("cloaked", pages.cloaked(destination, link.get("title")), destination)
        device = (
            device_of(request.headers.get("user-agent", ""))
            if link.get("ios") or link.get("android")
            else None
        )
        if device is not None and link.get(device):
            return _redirect(device, merged(link[device], params))
        geo = link.get("geo")
        if geo:
            country = self._country(request)
            if country is not None and country in geo:
                return _redirect("geo", merged(geo[country], params))
        return _redirect("url", merged(link["url"], params))

    def _parsed(self, stored: StoredLink) -> dict[str, Any]:
        # Links never change once stored; a reset or another worker may store a new one under
        # the same shortId, so a kept parse is used only while the stored bytes are the same.
        kept = self._parses.get(stored.short_id)
        if kept is not None and kept[0] == stored.body:
            return kept[1]
        link = {**orjson.loads(self._short_links.answered(stored)), "shortId": stored.short_id}
        if len(self._parses) >= PARSES_KEPT:
            self._parses.clear()
        self._parses[stored.short_id] = (stored.body, link)
        return link

    def _country(self, request: Request) -> str | None:
        for name in self._country_headers:
            value = request.headers.get(name, "").strip()
            if COUNTRY.fullmatch(value):
                return value.upper()
        return self._default_country

    async def _password_gate(
        self, request: Request, link: dict[str, Any], params: list[tuple[str, str]]
    ) -> Decision | None:
        """Return the form, a refusal or the 303 a password link answers; None lets it resolve."""
        token = access_token(link)
        presented = request.cookies.get(COOKIE, "")
        if hmac.compare_digest(presented.encode("utf-8", "replace"), token.encode()):
            return None
        kept = [(name, value) for name, value in params if name != PASSWORD_PARAM]
        back = (
            "/"
            + urllib.parse.quote(link["shortId"], safe="")
            + ("?" + urllib.parse.urlencode(kept) if kept else "")
        )
        attempt: str | Response | None = (
            await _posted_password(request)
            if request.method == "POST"
            else request.query_params.get(PASSWORD_PARAM)
        )
        if attempt is None:
            return Decision("password", pages.password_form(back, wrong=False))
        if isinstance(attempt, Response):
            return Decision("password", attempt)
        if not hmac.compare_digest(
            attempt.encode("utf-8", "replace"), str(link["password"]).encode("utf-8")
        ):
            return Decision("password", pages.password_form(back, wrong=True))
        accepted = Redirect(303, back)
        accepted.set_cookie(
            COOKIE, token, path="/" + link["shortId"], httponly=True, samesite="lax"
        )
        return Decision("password", accepted, back)


async def _posted_password(request: Request) -> str | Response:
    """Return the password a form posted, or the 4xx page saying why the form is refused."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        return pages.problem(415, "Unsupported form", f"Send the password as {FORM_TYPE}.")
    declared = request.headers.get("content-length", "")
    too_large = pages.problem(
        413, "Form too large", f"A password form is at most {MAX_FORM_BYTES} bytes."
    )
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return too_large
    except ClientDisconnect:
        return pages.problem(400, "Form incomplete", "The form ended before its body did.")
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return fields.get(PASSWORD_FIELD, [""])[0]


@functools.lru_cache(maxsize=4096)
def _location(url: str) -> bytes:
    # Starlette's RedirectResponse quoting, computed once per destination.
    return urllib.parse.quote(url, safe=":/%#?=@[]!$&'()*+,;").encode("latin-1")


class Redirect(Response):
    """A bodiless redirect with the headers a visit gets; its Location quoted once per URL."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(status_code=status)
        self.raw_headers.append((b"location", _location(location)))
        self.raw_headers.extend(NO_STORE_RAW)


def _redirect(rule: str, destination: str) -> Decision:
    return Decision(rule, Redirect(302, destination), destination)


class ShortLinkRoute(Route):
    """``/{shortId}``, matching no path whose first segment another route of the mock owns."""

    def __init__(self, resolver: Resolver) -> None:
        super().__init__("/{short_id}", resolver.resolve, methods=["GET", "POST"])
        self._resolver = resolver

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match as a Route does, except names such as ``docs``, ``api`` or ``openapi.*``."""
        match, child = super().matches(scope)
        if match is not Match.NONE and not self._resolver.owns(child["path_params"]["short_id"]):
            return Match.NONE, {}
        return match, child
