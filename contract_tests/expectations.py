"""What the contract says a response must look like, as functions returning the problems found."""

from __future__ import annotations

import copy
import datetime
import functools
import itertools
import operator
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jsonschema_rs
import orjson

import openapi
from contract_tests.transport import ABSENT, Received

SHORT_URL_PREFIX = "https://hoko.to/"
QR_CODE_PREFIX = "https://hoko.to/qrcode?text="
QR_CODE_SUFFIX = (
    "&size=512&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"
)
SHORT_ID = re.compile(r"[A-Za-z0-9._~-]+")
SHORT_IDS = re.compile(r"[A-Za-z0-9._~-]+(?:\n[A-Za-z0-9._~-]+)*")  # SHORT_IDs, one per line
FUTURE = "2099-12-31T23:59:59Z"  # replaces a past expiresAt where a past one would be free
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))"
)


FREE_BOUNDS = frozenset({"maxLength", "maxProperties"})  # decision 9
NOT_READ: Any = object()  # created_problems reads the items' echoes itself


def relax(schema: Any) -> Any:
    """Return ``schema`` without its free bounds (decision 9): maxLength and maxProperties."""
    if isinstance(schema, dict):
        return {key: relax(value) for key, value in schema.items() if key not in FREE_BOUNDS}
    if isinstance(schema, list):
        return [relax(value) for value in schema]
    return copy.deepcopy(schema)


@functools.cache
def _validator(status: int, strict: bool) -> jsonschema_rs.Draft202012Validator:
    schema = openapi.response_schema(status)
    checked = schema if strict else relax(schema)
    # Compiled: a 10,000-link answer is validated in milliseconds, not seconds.
    return jsonschema_rs.Draft202012Validator(checked, validate_formats=False)


@functools.cache
def link_fields() -> frozenset[str]:
    """Return the names of the fields a client may set on a link."""
    fields = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
    return frozenset(fields)


def _encode_uri_component(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.!~*'()")


QR_CODE_BEFORE_SHORT_ID = QR_CODE_PREFIX + _encode_uri_component(SHORT_URL_PREFIX)
QR_CODE_AFTER_SHORT_ID = _encode_uri_component("?qr=1") + QR_CODE_SUFFIX


def _qr_code_around(short_id: str) -> str:
    # Every character a shortId may hold (SHORT_ID) is one encodeURIComponent leaves as it is.
    return QR_CODE_BEFORE_SHORT_ID + short_id + QR_CODE_AFTER_SHORT_ID


def qr_code_for(short_url: str) -> str:
    """Return the qrCode the contract derives from ``short_url`` (decision 5)."""
    short_id = short_url.removeprefix(SHORT_URL_PREFIX)
    if short_id is not short_url and SHORT_ID.fullmatch(short_id):
        return _qr_code_around(short_id)
    return QR_CODE_PREFIX + _encode_uri_component(short_url + "?qr=1") + QR_CODE_SUFFIX


def is_datetime(text: object) -> bool:
    """Tell whether ``text`` is an RFC 3339 date-time."""
    return isinstance(text, str) and _is_datetime_text(text)


@functools.lru_cache(maxsize=256)  # the links of one batch mostly share their createdAt
def _is_datetime_text(text: str) -> bool:
    match = RFC3339.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    offset_ok = match.group(9) is None or (int(match.group(9)) < 24 and int(match.group(10)) < 60)
    return second <= 60 and offset_ok


def is_future(text: str) -> bool:
    """Tell whether an RFC 3339 date-time lies after now (False when it does not parse)."""
    if not is_datetime(text):
        return False
    normalized = text.upper().replace("Z", "+00:00").replace(":60", ":59")
    try:
        moment = datetime.datetime.fromisoformat(normalized)
    except ValueError:
        return False
    return moment > datetime.datetime.now(datetime.UTC)


def _same(left: Any, right: Any) -> bool:
    # Equal as JSON texts would be: 1, 1.0 and true differ; walked, not serialised (a 10,000-link
    # answer has ~100,000 echoed values, nearly all strings).
    kind = type(left)
    if kind is not type(right):
        return False
    if kind is str:
        return bool(left == right)
    if isinstance(left, dict):
        if left.keys() != right.keys():
            return False
        for key, value in left.items():
            other = right[key]
            # Mostly strings (a utm object): compared here, the walk is for the rest.
            if not (type(value) is str and type(other) is str and value == other) and not _same(
                value, other
            ):
                return False
        return True
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, float):
        return repr(left) == repr(right)  # -0.0 and 0.0 are different texts
    return bool(left == right)


def schema_problems(status: int, body: Any, strict: bool) -> list[str]:
    """Return how ``body`` breaks the spec's schema of a ``status`` answer (at most 3 errors)."""
    validator = _validator(status, strict)
    if validator.is_valid(body):
        return []  # told without building the error iterator: ~1 ms of a 10,000-link answer
    errors = list(itertools.islice(validator.iter_errors(body), 3))
    return [
        f"body at /{'/'.join(map(str, error.instance_path))}: {error.message[:200]}"
        for error in errors
    ]


def json_body_problems(received: Received, status: int) -> tuple[Any, list[str]]:
    """Return the JSON body and the problems with the status, Content-Type and JSON itself."""
    problems = []
    if received.status != status:
        problems.append(f"status {received.status}, documented {status}")
    if received.media_type != "application/json":
        shown = received.headers.get("content-type", "none")
        problems.append(f"Content-Type {shown}, documented application/json")
    body = received.json()
    if body is ABSENT:
        problems.append("body is not JSON")
    return body, problems


def error_problems(received: Received, status: int, strict: bool) -> list[str]:
    """Return every way ``received`` differs from the documented ``status`` error."""
    body, problems = json_body_problems(received, status)
    if body is not ABSENT and received.status == status:
        problems += schema_problems(status, body, strict)
    if received.status == 429 == status:
        problems += rate_limited_problems(received, body, strict)
    return problems


def rate_limited_problems(received: Received, body: Any, strict: bool) -> list[str]:
    """Return what a 429 lacks: the X-RateLimit-* headers, and a Retry-After equal to retryAfter."""
    problems = [
        f"429 without the {name} header" for name in RATE_HEADERS if name not in received.headers
    ]
    retry_after = received.headers.get("retry-after")
    body_value = body.get("retryAfter") if isinstance(body, dict) else None
    if retry_after is not None and (
        not retry_after.strip().isdigit() or int(retry_after) != body_value
    ):
        problems.append(
            f"Retry-After {retry_after!r} differs from the body's retryAfter {body_value!r}"
        )
    if strict and retry_after is None:
        problems.append("429 without Retry-After (strict)")
    return problems + rate_header_problems(received)


def rate_header_problems(received: Received) -> list[str]:
    """Return the X-RateLimit-* headers present that are not non-negative integers."""
    return [
        f"{name}: {received.headers[name]!r} is not a non-negative integer"
        for name in RATE_HEADERS
        if name in received.headers and not received.headers[name].strip().isdigit()
    ]


def created_problems(
    items: Sequence[Any],
    received: Received,
    strict: bool,
    echoes: Any = NOT_READ,
    *,
    schema_verdict: Callable[[], list[str] | None] | None = None,
    keys: LinkKeys | None = None,
) -> list[str]:
    """Return every way a 201 answer to ``items`` breaks the contract (decision 5).

    ``echoes`` is ``sent_echoes(items)`` when the caller read it already (before the answer came),
    ``schema_verdict`` returns the body's schema problems found elsewhere (None: find them here),
    ``keys`` is ``link_keys`` of the body when the caller read it already.
    """
    body, problems = json_body_problems(received, 201)
    if problems:
        return problems
    # Asked for last, so a schema check done elsewhere runs while the links are walked here.
    if not isinstance(body, list):
        return _asked(schema_verdict, body, strict)
    if len(body) != len(items):
        return [*_asked(schema_verdict, body, strict), f"{len(body)} links for {len(items)} items"]
    if not _links_clean(body, sent_echoes(items) if echoes is NOT_READ else echoes):
        problems += _order_problems(items, body)
        for index, (item, link) in enumerate(zip(items, body, strict=True)):
            if isinstance(item, Mapping) and isinstance(link, Mapping):
                found = link_problems(item, link)
                if found:
                    problems += [f"link {index}: {text}" for text in found]
    if keys is None:
        keys = link_keys(body)
    if len(keys.id_set) != len(keys.ids):
        problems.append("two links of one response share an id")
    if len(keys.short_url_set) != len(keys.short_urls):
        problems.append("two links of one response share a shortUrl")
    return _asked(schema_verdict, body, strict) + problems


def _asked(
    schema_verdict: Callable[[], list[str] | None] | None, body: Any, strict: bool
) -> list[str]:
    found = None if schema_verdict is None else schema_verdict()
    return schema_problems(201, body, strict) if found is None else found


class SentEchoes(NamedTuple):
    """What each item of a batch of like items must find echoed: the fields, values and JSON."""

    fields: tuple[str, ...]
    columns: tuple[tuple[Any, ...], ...]  # each field's values, item by item
    text: bytes


DERIVED_READ = ("shortUrl", "qrCode", "createdAt")  # read with the echoes, in the same pass


def sent_echoes(items: Sequence[Any]) -> SentEchoes | None:
    """Return what a batch's links must echo, or None when only the walk of each link can say."""
    if not items or not all(type(item) is dict for item in items):
        return None
    # A batch's items mostly carry the same fields: their echoes are then columns compared.
    keys = items[0].keys()
    if not all(map(keys.__eq__, map(dict.keys, items))) or "url" not in keys:
        return None
    fields = _echoed_fields(tuple(keys))
    if len(fields) == 1:
        columns: tuple[tuple[Any, ...], ...] = (tuple(map(operator.itemgetter(*fields), items)),)
    else:
        columns = tuple(zip(*map(operator.itemgetter(*fields), items), strict=True))
    try:
        return SentEchoes(fields, columns, _sorted_json(columns))
    except orjson.JSONEncodeError:
        return None  # an integer past 64 bits: the walk says


@functools.lru_cache(maxsize=256)  # the clients of one server send the same few field sets
def _echoed_fields(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in keys if name in link_fields())


def _links_clean(body: list[Any], sent: SentEchoes | None) -> bool:
    """Tell in whole-batch passes that no link has a problem and the order holds (False: walk)."""
    if sent is None or not body:
        return False
    count = len(sent.fields)
    try:
        # One read of each link: a 10,000-link answer is too big for the CPU's caches, and a
        # pass per field would fetch every link from memory again.
        rows = list(map(operator.itemgetter(*sent.fields, *DERIVED_READ), body))
        columns = tuple(zip(*rows, strict=True))
        echoed = columns[:count]
        # Equal, and equal as JSON texts: 1, 1.0 and true, or -0.0 and 0.0, stay apart.
        if sent.columns != echoed or sent.text != _sorted_json(echoed):
            return False
    except (KeyError, TypeError, IndexError, orjson.JSONEncodeError):
        return False  # not an object, a field not echoed, an integer past 64 bits: the walk says
    short_urls, qr_codes, created = columns[count:]
    # Every url echoed at its item's place (externalIds too, when sent): the order holds.
    if set(map(type, short_urls)) != {str} or not all(map(_on_short_url_host, short_urls)):
        return False
    start = len(SHORT_URL_PREFIX)
    short_ids = [url[start:] for url in short_urls]
    joined = "\n".join(short_ids)  # no shortId may hold a line break: each is one line
    if joined.count("\n") != len(short_ids) - 1 or SHORT_IDS.fullmatch(joined) is None:
        return False
    if qr_codes != tuple(map(_qr_code_around, short_ids)):
        return False
    return all(map(is_datetime, created))


def _sorted_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


_on_short_url_host = operator.methodcaller("startswith", SHORT_URL_PREFIX)


def _order_problems(items: Sequence[Any], body: list[Any]) -> list[str]:
    def key(entry: Any) -> str:
        return repr((entry.get("url"), entry.get("externalId"))) if isinstance(entry, dict) else ""

    def pair(entry: Any) -> Any:
        # Strings compare exactly as they are; anything else as its key.
        if isinstance(entry, dict):
            url, external_id = entry.get("url"), entry.get("externalId")
            if type(url) is str and (external_id is None or type(external_id) is str):
                return url, external_id
        return key(entry)

    if list(map(pair, items)) == list(map(pair, body)):
        return []  # in order: the keys, which sort whatever their types, are equal too
    sent, got = [key(item) for item in items], [key(link) for link in body]
    if sent != got and sorted(sent) == sorted(got):
        return ["links are not in request order"]
    return []


def link_problems(item: Mapping[str, Any], link: Mapping[str, Any]) -> list[str]:
    """Return how one created link differs from the item that created it."""
    problems = []
    fields = link_fields()
    for name, value in item.items():
        if name not in fields:
            continue
        if name not in link:
            if name == "url":
                problems.append("'url' not echoed")
            continue
        echoed = link[name]
        # Most echoes are the very strings sent: compared here, the walk is for the rest.
        if not (type(echoed) is str and type(value) is str and echoed == value) and not _same(
            echoed, value
        ):
            problems.append(f"{name!r} sent {value!r}, echoed {echoed!r}")
    short_url = link.get("shortUrl")
    if not isinstance(short_url, str) or not short_url.startswith(SHORT_URL_PREFIX):
        problems.append(f"shortUrl {short_url!r} is not on {SHORT_URL_PREFIX}")
    elif not SHORT_ID.fullmatch(short_id := short_url[len(SHORT_URL_PREFIX) :]):
        problems.append(f"shortUrl {short_url!r} has a shortId that is not URL-safe")
    elif link.get("qrCode") != _qr_code_around(short_id):
        problems.append(f"qrCode {link.get('qrCode')!r}, documented {qr_code_for(short_url)!r}")
    if not is_datetime(link.get("createdAt")):
        problems.append(f"createdAt {link.get('createdAt')!r} is not an RFC 3339 date-time")
    return problems


def strict_echo_problems(item: Mapping[str, Any], link: Mapping[str, Any]) -> list[str]:
    """Return the sent fields a link leaves out and the unknown properties it echoes (strict)."""
    known = link_fields()
    missing = [f"{name!r} not echoed" for name in item if name in known and name not in link]
    echoed = [
        f"unknown property {name!r} echoed" for name in item if name not in known and name in link
    ]
    return missing + echoed


class LinkKeys(NamedTuple):
    """The ids and shortUrls of a response's link objects as text, in order and as sets."""

    ids: list[str]
    short_urls: list[str]
    id_set: set[str]
    short_url_set: set[str]


def link_keys(links: Sequence[Any]) -> LinkKeys:
    """Return the ids and shortUrls of the objects among ``links``."""
    objects = [link for link in links if isinstance(link, dict)]
    ids = [str(link.get("id")) for link in objects]
    short_urls = [str(link.get("shortUrl")) for link in objects]
    return LinkKeys(ids, short_urls, set(ids), set(short_urls))


def repeated_link_problems(
    keys: LinkKeys, seen_ids: set[str], seen_short_urls: set[str]
) -> list[str]:
    """Return how a response's links repeat an id or shortUrl seen before or earlier in it."""
    # Nearly always all new: told in set operations, the repeats walked only when there are some.
    if (
        seen_ids.isdisjoint(keys.id_set)
        and seen_short_urls.isdisjoint(keys.short_url_set)
        and len(keys.id_set) == len(keys.ids)
        and len(keys.short_url_set) == len(keys.short_urls)
    ):
        return []
    problems = []
    earlier_ids: set[str] = set()
    earlier_short_urls: set[str] = set()
    for link_id, short_url in zip(keys.ids, keys.short_urls, strict=True):
        if link_id in seen_ids or link_id in earlier_ids:
            problems.append(f"id {link_id} was already given to an earlier link")
        if short_url in seen_short_urls or short_url in earlier_short_urls:
            problems.append(f"shortUrl {short_url} was already given to an earlier link")
        earlier_ids.add(link_id)
        earlier_short_urls.add(short_url)
    return problems


def remember_links(keys: LinkKeys, seen_ids: set[str], seen_short_urls: set[str]) -> None:
    """Add a response's ids and shortUrls to those seen."""
    seen_ids |= keys.id_set
    seen_short_urls |= keys.short_url_set
