"""Overlapping batches: neighbours share externalIds, a few carry one invalid link; the verdict."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import httpx
import orjson

from tests.reliability.hostile import COLLECTION

KEYS: Final = ("hoko_test_full", "hoko_test_basic")
BATCH: Final = 5  # the basic plan's most links per request, so both keys can send the same batches
STRIDE: Final = 3  # batch i holds ids [3i, 3i+5): each overlaps its neighbours, sent concurrently


def send_overlapping(client: httpx.Client, index: int) -> tuple[int, bytes]:
    """POST batch ``index``, which shares ids with its neighbours; every 7th has one bad URL."""
    ids = [f"ov-{STRIDE * (index // 2) + offset}" for offset in range(BATCH)]
    links = [
        {"url": "https://example.com", "collectionId": COLLECTION, "externalId": external_id}
        for external_id in ids
    ]
    if index % 7 == 6:
        links[BATCH // 2]["url"] = "invalid-url"
    key = KEYS[index % len(KEYS)]
    response = client.post("/api/links", headers={"Authorization": f"Bearer {key}"}, json=links)
    return response.status_code, response.content


def check_overlap(results: Iterable[tuple[int, bytes]], stored: list[dict[str, Any]]) -> int:
    """Assert the stored links are exactly the 201s' and none twice; return the 201 count."""
    acknowledged: dict[str, Any] = {}
    created = 0
    for status, content in results:
        assert status in {201, 400}, f"unexpected {status}: {content[:300]!r}"
        if status == 201:
            created += 1
            acknowledged.update({link["externalId"]: link for link in orjson.loads(content)})
    external_ids = [link["externalId"] for link in stored]
    assert len(external_ids) == len(set(external_ids)), "an externalId was stored twice"
    assert {link["externalId"]: link for link in stored} == acknowledged, (
        "the stored links are not exactly those of the batches answered 201"
    )
    assert created > 0
    return created
