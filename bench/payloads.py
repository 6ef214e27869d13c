"""Request bodies of the benchmark: the documented 1-link example and large fresh batches."""

from __future__ import annotations

import uuid
from typing import Any, Final

import orjson

import openapi

API_KEY: Final = "hoko_test_full"
"""The default mock key with ``linksWrite`` on the ``pro`` plan (10,000 links per request)."""

NO_SCOPE_KEY: Final = "hoko_test_noscope"
COLLECTION_ID: Final = "550e8400-e29b-41d4-a716-446655440000"
BATCH_SIZE: Final = 10_000


def documented_link() -> dict[str, Any]:
    """Return the documented link with title, description and UTM parameters."""
    (link,) = openapi.request_examples()["documentedWithMetadata"]
    return dict(link)


def one_link_body() -> bytes:
    """Return the documented 1-link request body, valid on every plan."""
    return orjson.dumps([documented_link()])


def batch_body(count: int = BATCH_SIZE, prefix: str | None = None) -> bytes:
    """Return ``count`` valid links whose ``externalId``s no earlier batch used."""
    prefix = prefix or uuid.uuid4().hex
    template = documented_link()
    links = [
        {
            **template,
            "url": f"https://example.com/{prefix}/{index}",
            "externalId": f"{prefix}-{index}",
        }
        for index in range(count)
    ]
    return orjson.dumps(links)


def curl_line(url: str, body: bytes, api_key: str = API_KEY) -> str:
    """Return a curl command that replays a POST (large bodies are elided)."""
    shown = body.decode() if len(body) <= 400 else "[...one link per item, as sent by bench...]"
    return (
        f"curl -X POST '{url}' -H 'Authorization: Bearer {api_key}' "
        f"-H 'Content-Type: application/json' -d '{shown}'"
    )
