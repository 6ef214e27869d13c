"""Creating links: the rules a schema cannot express, then ids, short URLs, QR codes and storage."""

from __future__ import annotations

import binascii
import datetime
import functools
import os
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any, Final, NamedTuple, cast

import orjson

import openapi
from mock_server.config import MockConfig
from mock_server.errors import Issue, RejectedRequestError, json_path
from mock_server.plans import FEATURE_OF_FIELD, Plan
from mock_server.store import InsertRefused, LinkStore, RateWindow, StoredLink
from mock_server.validation import MAX_ISSUES

QR_OPTIONS: Final = (
    "&size=512&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"
)
SHORT_ID_BYTES: Final = 6  # 8 URL-safe characters: 2**48 ids, so collisions are rare and retried
SHORT_ID_RETRIES: Final = 3


def encode_uri_component(text: str) -> str:
    """Percent-encode ``text`` exactly as JavaScript's ``encodeURIComponent`` does."""
    return urllib.parse.quote(text, safe="!'()*")


VERSION_4: Final = bytes((byte & 0x0F) | 0x40 for byte in range(256))
VARIANT_RFC4122: Final = bytes((byte & 0x3F) | 0x80 for byte in range(256))
URL_SAFE: Final = bytes.maketrans(b"+/", b"-_")
SHORT_ID_WIDTH: Final = SHORT_ID_BYTES * 4 // 3
# Where each of a UUID's 32 hex digits goes in its 36 characters, and the dashes between groups.
UUID_DIGIT_AT: Final = tuple(
    digit + sum(digit >= cut for cut in (8, 12, 16, 20)) for digit in range(32)
)
# Above this many ids, laying out every id at once with strided copies beats one slice per id.
STRIDED_FROM: Final = 64
ENTROPY_BLOCK: Final = 1 << 16


class Entropy:
    """OS random bytes drawn a block at a time, so small requests make no system call."""

    def __init__(self) -> None:
        self._block = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        """Return ``size`` fresh random bytes."""
        if size * 4 > ENTROPY_BLOCK:
            return os.urandom(size)
        end = self._offset + size
        if end > len(self._block):
            self._block, self._offset, end = os.urandom(ENTROPY_BLOCK), 0, size
        taken = self._block[self._offset : end]
        self._offset = end
        return taken


ENTROPY: Final = Entropy()


def _uuid4s(count: int) -> list[str]:
    raw = bytearray(ENTROPY.take(16 * count))
    if count == 1:
        raw[6], raw[8] = VERSION_4[raw[6]], VARIANT_RFC4122[raw[8]]
        h = raw.hex()
        return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"]
    raw[6::16] = raw[6::16].translate(VERSION_4)
    raw[8::16] = raw[8::16].translate(VARIANT_RFC4122)
    if count < STRIDED_FROM:
        h = raw.hex()
        return [
            f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-{h[i + 12 : i + 16]}-"
            f"{h[i + 16 : i + 20]}-{h[i + 20 : i + 32]}"
            for i in range(0, 32 * count, 32)
        ]
    digits = raw.hex().encode("ascii")
    laid_out = bytearray(b"-" * (37 * count))
    laid_out[36::37] = b"," * count
    for digit, position in enumerate(UUID_DIGIT_AT):
        laid_out[position::37] = digits[digit::32]
    return laid_out[:-1].decode("ascii").split(",")


def _short_ids(count: int) -> list[str]:
    raw = ENTROPY.take(SHORT_ID_BYTES * count)
    text = binascii.b2a_base64(raw, newline=False).translate(URL_SAFE)
    width = SHORT_ID_WIDTH
    if count < STRIDED_FROM:
        decoded = text.decode("ascii")
        return [decoded[start : start + width] for start in range(0, width * count, width)]
    laid_out = bytearray(b"," * ((width + 1) * count))
    for character in range(width):
        laid_out[character :: width + 1] = text[character::width]
    return laid_out[:-1].decode("ascii").split(",")


LINK_START: Final = b'{"id":"'
ID_LENGTH: Final = 36
# A stored link is its JSON with the id first and no shortUrl or qrCode, both derived from its
# shortId: they are put back right after the id (a UUID, never escaped) to answer it.
ID_END: Final = len(LINK_START) + ID_LENGTH
SHORT_URL_KEY: Final = b'","shortUrl":"'
# Builds each StoredLink in C from a tuple; the NamedTuple constructor is Python code.
NEW_STORED_LINK: Final = functools.partial(tuple.__new__, StoredLink)
DERIVED_FIELDS: Final = ("id", "shortUrl", "qrCode", "createdAt")


def _json_text(text: str) -> bytes:
    return orjson.dumps(text)[1:-1]


class ShortLinks:
    """Each shortId's shortUrl and qrCode; stored links keep neither, as both derive from it."""

    def __init__(self, short_url_base: str) -> None:
        self.short_url_prefix = short_url_base + "/"
        self.qr_prefix = (
            f"{short_url_base}/qrcode?text={encode_uri_component(self.short_url_prefix)}"
        )
        self.qr_suffix = encode_uri_component("?qr=1") + QR_OPTIONS
        # A link's JSON from the end of its id to the end of its qrCode, around the shortId.
        self._before = SHORT_URL_KEY + _json_text(self.short_url_prefix)
        self._between = b'","qrCode":"' + _json_text(self.qr_prefix)
        self._after = _json_text(self.qr_suffix)

    def span(self, short_id: str) -> bytes:
        """Return the JSON of ``short_id``'s shortUrl and qrCode as they follow a link's id."""
        encoded = short_id.encode("ascii")
        return self._before + encoded + self._between + encoded + self._after

    def answered(self, link: StoredLink) -> bytes:
        """Return a stored link's JSON exactly as its 201 answered it."""
        body = link.body
        if not body.startswith(LINK_START):
            # Packed without its braces and key, as older state files hold it.
            return (
                LINK_START + body[:ID_LENGTH] + self.span(link.short_id) + body[ID_LENGTH:] + b"}"
            )
        if body.startswith(SHORT_URL_KEY, ID_END):
            return body  # stored whole, as the oldest state files hold it
        return b"".join(self._pieces(body, link.short_id.encode("ascii")))

    def answered_array(self, links: Sequence[StoredLink]) -> bytes:
        """Return the JSON array of links just stored, as the 201 answers them."""
        if not links:
            return b"[]"
        # Appended piece by piece, each slice freed at once: a join held 20,000 slices of a
        # 10,000-link batch alive, whose memory the next batch faulted in again (3,900 faults,
        # 11 ms -> 3 ms with none).
        answer = bytearray()
        for short_id, _, _, body in links:
            answer += b","
            for piece in self._pieces(body, short_id.encode("ascii")):
                answer += piece
        answer[0:1] = b"["
        answer += b"]"
        return bytes(answer)

    def _pieces(self, body: bytes, short_id: bytes) -> tuple[bytes, ...]:
        return (
            body[:ID_END],
            self._before,
            short_id,
            self._between,
            short_id,
            self._after,
            body[ID_END:],
        )


# The last second formatted, and its text: formatting runs once a second, not once per request.
_last_second: Final = [(0, "1970-01-01T00:00:00")]


def created_at() -> str:
    """Return the current time as an RFC 3339 UTC date-time with milliseconds."""
    now = time.time()
    second = int(now)
    cached_second, text = _last_second[0]
    if second != cached_second:
        text = datetime.datetime.fromtimestamp(second, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _last_second[0] = (second, text)
    return f"{text}.{int((now - second) * 1000):03d}Z"


def _distinct_short_ids(count: int) -> list[str]:
    short_ids = _short_ids(count)
    seen: set[str] = set()
    for index in range(len(short_ids)):
        while short_ids[index] in seen:
            short_ids[index] = _short_ids(1)[0]
        seen.add(short_ids[index])
    return short_ids


class RateKey(NamedTuple):
    """Whose rate-limit window a request counts in, and that window's rules and clock."""

    key_id: str
    limit: int
    window: float
    now: float


class CountedRejectionError(RejectedRequestError):
    """A request refused after it was counted in its rate-limit ``window``."""

    def __init__(self, status: int, window: RateWindow, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(status, issues)
        self.window = window


class LinkFactory:
    """Checks a schema-valid batch against the workspace and plan, then creates and stores it."""

    def __init__(self, config: MockConfig, store: LinkStore) -> None:
        self._store = store
        self._short_links = ShortLinks(config.short_url_base)
        self._collections = {collection.lower(): collection for collection in config.collections}
        fields = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
        self._documented = frozenset(fields)
        # A sent field named like a derived one would move it and break the stored layout.
        if not self._documented.isdisjoint(DERIVED_FIELDS):
            raise ValueError(f"the spec's LinkFields redefine {DERIVED_FIELDS}")

    async def create(
        self, items: Sequence[dict[str, Any]], plan: Plan, rate: RateKey
    ) -> tuple[RateWindow, bytes]:
        """Count the request and create every link of ``items`` or none, in one store call."""
        collections = self._check(items, plan)
        stored = self._build(items, collections)
        store, total = self._store, plan.links_total
        window, refused = await store.admit(*rate, stored, total)
        assert window is not None  # a key was given, so the request was counted
        if window.exceeded:
            raise CountedRejectionError(429, window)
        retries = SHORT_ID_RETRIES
        while refused is not None and refused.short_id_collision and retries:
            stored = self._build(items, collections)
            _, refused = await store.admit(None, rate.limit, rate.window, rate.now, stored, total)
            retries -= 1
        if refused is not None:
            raise CountedRejectionError(400, window, _refusal_issues(refused, items, len(items)))
        return window, self._short_links.answered_array(stored)

    def _build(self, items: Sequence[dict[str, Any]], collections: list[str]) -> list[StoredLink]:
        count = len(items)
        ids = _uuid4s(count)
        short_ids = _distinct_short_ids(count)
        stamp = created_at()
        documented = self._documented
        # Unpacking each item whole is the fast path; unknown fields must not be echoed.
        sent_items: Sequence[dict[str, Any]] = items
        if not documented.issuperset(set().union(*items)):
            sent_items = [{k: item[k] for k in item if k in documented} for item in items]
        dumps = orjson.dumps
        return [
            NEW_STORED_LINK(
                (
                    short_id,
                    collection,
                    item.get("externalId"),
                    # orjson leaves its output in a buffer of 4 KiB or more; a copy keeps the bytes.
                    bytes(memoryview(dumps({"id": link_id, **sent, "createdAt": stamp}))),
                )
            )
            for item, sent, collection, link_id, short_id in zip(
                items, sent_items, collections, ids, short_ids, strict=True
            )
        ]

    def _check(self, items: Sequence[dict[str, Any]], plan: Plan) -> list[str]:
        if len(items) > plan.links_per_request:
            message = (
                f"the plan {plan.name!r} allows {plan.links_per_request} links per request; "
                f"the body has {len(items)}"
            )
            raise RejectedRequestError(400, (Issue("$", "planLinksPerRequest", message),))
        known = self._collections
        found = [known.get(item["collectionId"].lower()) for item in items]
        external_ids = [e for item in items if (e := item.get("externalId")) is not None]
        gated = plan.gated_fields
        clean = (
            None not in found
            and len(set(external_ids)) == len(external_ids)
            and (not gated or all(gated.isdisjoint(item) for item in items))
        )
        # A clean batch is told apart in a few passes; only a faulty one is walked for issues.
        issues = () if clean else self._issues(items, plan)
        if issues:
            raise RejectedRequestError(400, issues)
        return cast(list[str], found)

    def _issues(self, items: Sequence[dict[str, Any]], plan: Plan) -> tuple[Issue, ...]:
        issues: list[Issue] = []
        external_ids: dict[str, int] = {}
        known = self._collections
        gated = plan.gated_fields
        for index, item in enumerate(items):
            collection = known.get(item["collectionId"].lower())
            if collection is None:
                message = (
                    f"no collection {item['collectionId']!r} in this workspace "
                    f"(known: {', '.join(known.values())})"
                )
                issues.append(Issue(json_path(index, "collectionId"), "collectionExists", message))
            if gated and not gated.isdisjoint(item):
                for name in sorted(gated.intersection(item)):
                    feature = FEATURE_OF_FIELD[name]
                    message = (
                        f"{name} needs the {feature!r} feature, which the plan {plan.name!r} lacks"
                    )
                    issues.append(Issue(json_path(index, name), "planFeature", message))
            external_id = item.get("externalId")
            if external_id is not None:
                first = external_ids.setdefault(external_id, index)
                if first != index:
                    message = (
                        f"externalId {external_id!r} is already used by item {first} of this batch"
                    )
                    issues.append(
                        Issue(json_path(index, "externalId"), "externalIdUniqueInBatch", message)
                    )
            if len(issues) >= MAX_ISSUES:
                break
        return tuple(issues[:MAX_ISSUES])


def _refusal_issues(
    refused: InsertRefused, items: Sequence[dict[str, Any]], count: int
) -> tuple[Issue, ...]:
    if refused.links_total is not None:
        message = (
            f"the plan allows {refused.links_total} links in the workspace; "
            f"{refused.links_stored} exist and the body adds {count}"
        )
        return (Issue("$", "planLinksTotal", message),)
    if refused.short_id_collision:
        return (
            Issue("$", "shortIdUnique", "could not find unused shortIds; send the batch again"),
        )
    taken = set(refused.taken_external_ids)
    return tuple(
        Issue(
            json_path(index, "externalId"),
            "externalIdUniqueInWorkspace",
            f"externalId {item['externalId']!r} is already used in this workspace",
        )
        for index, item in enumerate(items)
        if item.get("externalId") in taken
    )[:MAX_ISSUES]
