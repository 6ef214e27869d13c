"""The reference server's faults that only the coverage matrix finds: checks too lax or too strict.

Each one is a bug real implementations ship: a URL rule applied to ``url`` alone, a nested
``null`` let through, a boolean coerced from a string, a regex without ports, a parser that
wants ``Z``, a lower-case-only UUID pattern, a smaller limit than documented, or an echo that
normalizes what was sent.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime
from typing import Any

OFFSET_LESS = re.compile(r"[\d-]+T[\d:.]+")
URL_FIELD_NAMES = ("url", "image", "expiredUrl", "ios", "android")
CHECKED_SAMPLE = "https://example.com/checked"
# Fault -> the URL fields it forgets to validate.
UNCHECKED_URLS = {"image-unchecked": ("image",), "device-urls-unchecked": ("ios", "android")}


def loosened(item: Any, fault: str | None, free: frozenset[str]) -> Any:
    """Return ``item`` as a server that checks less than the contract sees it."""
    if not isinstance(item, dict):
        return item
    names = UNCHECKED_URLS.get(fault or "", ())
    item = {k: CHECKED_SAMPLE if k in names else v for k, v in item.items()}
    if fault == "geo-values-unchecked" and isinstance(item.get("geo"), dict):
        item = {**item, "geo": dict.fromkeys(item["geo"], CHECKED_SAMPLE)}
    if fault == "utm-null-accepted" and isinstance(item.get("utm"), dict):
        item = {**item, "utm": {k: v for k, v in item["utm"].items() if v is not None}}
    expires = str(item.get("expiresAt", ""))
    # Read as UTC, as many ISO 8601 parsers do (decision 15 leaves it free).
    if "offset-less-dates-accepted" in free and OFFSET_LESS.fullmatch(expires):
        item = {**item, "expiresAt": expires + "Z"}
    if fault == "cloaked-coerced" and item.get("cloaked") in ("true", "false"):
        item = {**item, "cloaked": item["cloaked"] == "true"}
    return item


def refused(item: Any, fault: str | None) -> str | None:
    """Return the fault when a server stricter than the contract refuses a valid ``item``."""
    if not isinstance(item, dict) or fault is None:
        return None
    urls = [v for k, v in item.items() if k in URL_FIELD_NAMES and isinstance(v, str)]
    if isinstance(item.get("geo"), dict):
        urls += [v for v in item["geo"].values() if isinstance(v, str)]
    stricter = {
        "rejects-url-port": any(re.match(r"https?://[^/]*:\d", url) for url in urls),
        "rejects-ipv4-host": any(re.match(r"https?://[\d.]+(/|$)", url) for url in urls),
        "rejects-percent-escapes": any("%" in url for url in urls),
        "rejects-offset-date": "+" in str(item.get("expiresAt", "")),
        "rejects-fraction-seconds": "." in str(item.get("expiresAt", "")),
        "uuid-lowercase-only": any(
            isinstance(item.get(k), str) and item[k] != item[k].lower()
            for k in ("collectionId", "partnerId")
        ),
        "description-limit-1000": len(str(item.get("description", ""))) > 1000,
        "geo-limit-10": isinstance(item.get("geo"), dict) and len(item["geo"]) > 10,
        "title-required": "title" not in item,
    }
    return fault if stricter.get(fault) else None


def reshaped_echo(echoed: dict[str, Any], fault: str | None) -> dict[str, Any]:
    """Return the echo of a server that normalizes what it stores."""
    if fault == "date-echo-utc" and "expiresAt" in echoed:
        moment = datetime.fromisoformat(echoed["expiresAt"].replace("Z", "+00:00"))
        return {**echoed, "expiresAt": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if fault == "url-echo-normalized":
        parts = urllib.parse.urlsplit(echoed["url"])
        return {**echoed, "url": parts._replace(netloc=parts.netloc.lower()).geturl()}
    if fault == "empty-echo-null":
        return {k: None if v == "" else v for k, v in echoed.items()}
    return echoed
