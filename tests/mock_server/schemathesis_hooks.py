"""Schemathesis hooks a mock user writes: a known collection and fresh externalIds for positives."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

KNOWN_COLLECTION = "550e8400-e29b-41d4-a716-446655440000"


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """Point positive cases at a collection that exists and give each externalId a fresh value."""
    if (
        case.meta is not None
        and case.meta.generation.mode.is_positive
        and isinstance(case.body, list)
    ):
        case.body = [
            {
                **item,
                "collectionId": KNOWN_COLLECTION,
                **({"externalId": f"st-{uuid.uuid4()}"} if "externalId" in item else {}),
            }
            if isinstance(item, dict)
            else item
            for item in case.body
        ]
    return case
