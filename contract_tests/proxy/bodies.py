"""What an exchange's bodies and headers say, read once and without judging them."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from contract_tests.proxy.traffic import Traffic

UNREADABLE: Any = object()  # a request body that is missing, or JSON no parser here reads
IGNORED_IN_EXAMPLES = ("collectionId", "expiresAt")  # as the suite replays the spec's examples


def external_ids(items: list[Any]) -> list[str]:
    """Return the string externalIds of the items, in order."""
    return [
        item["externalId"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("externalId"), str)
    ]


def strings(value: Any) -> Iterator[str]:
    """Yield every string of a link, nested objects included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)


def is_edge(text: str) -> bool:
    """Tell whether a string is one of the suite's edge cases: empty, non-ASCII, space-edged."""
    return text == "" or not text.isascii() or text != text.strip()


def comparable(items: Any) -> bytes:
    """Return a request body as the suite compares it to examples: collection and expiry aside."""
    if not isinstance(items, list):
        return b""
    shown = [
        {k: v for k, v in item.items() if k not in IGNORED_IN_EXAMPLES}
        if isinstance(item, dict)
        else item
        for item in items
    ]
    try:
        return orjson.dumps(shown, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer past 64 bits, which json writes and no example has
        return json.dumps(shown, sort_keys=True).encode()


def credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Return the Authorization scheme and key, or (None, None) without the header."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None:
        return None, None
    scheme, _, key = value.strip().partition(" ")
    return scheme, key.strip() or None


def content_type(headers: Mapping[str, str]) -> str:
    """Return the Content-Type, lower-cased ('' without one)."""
    return next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()


def decoded(traffic: Traffic, content_encoding: str | None) -> bytes | None:
    """Return the answer's body without its Content-Encoding, None for an unknown encoding."""
    assert traffic.response_body is not None
    encoding = (content_encoding or "identity").strip().lower()
    try:
        if encoding in ("identity", ""):
            return traffic.response_body
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(traffic.response_body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompress(traffic.response_body)
    except zlib.error:
        return b""  # announced as compressed but not: judged as the garbage it is
    return None
