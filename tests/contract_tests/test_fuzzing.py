"""Generated cases stay fair: positives valid for every server, negatives invalid for all."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

import openapi
from contract_tests import fuzzing

DOC_COLLECTION = "550e8400-e29b-41d4-a716-446655440000"


def link(**fields: Any) -> list[dict[str, Any]]:
    return [{"url": "https://example.com", "collectionId": DOC_COLLECTION, **fields}]


def test_tightened_bounds_stay_within_the_contract() -> None:
    schemas = fuzzing.tighten(openapi.load_spec()["components"]["schemas"])
    assert schemas["HttpUrl"]["maxLength"] == fuzzing.GENERATED_MAX_LENGTH
    assert schemas["Geo"]["maxProperties"] == fuzzing.GENERATED_MAX_PROPERTIES
    assert schemas["Utm"]["properties"]["source"]["maxLength"] <= 255
    assert schemas["CreateLinksRequest"]["maxItems"] == 10_000


@pytest.mark.parametrize(
    "body",
    [
        link(url="https://exämple.com/"),
        link(url="https://example.com/a<b"),
        link(url="HTTPS://example.com/"),
        link(url="https://example.com:65536/"),
        link(utm={"source": "google", "other": "x"}),
        link(title="t" * 501),
        link(
            geo={f"A{chr(65 + i % 26)}{chr(65 + i // 26)}"[1:]: "https://e.com" for i in range(260)}
        ),
    ],
)
def test_free_faults_are_not_invalid_for_every_server(body: Any) -> None:
    assert not jsonschema_rs.validator_for(openapi.request_schema()).is_valid(body)
    assert fuzzing.judge(strict=False).is_valid(body)
    assert not fuzzing.judge(strict=True).is_valid(body)


@pytest.mark.parametrize(
    "body",
    [
        link(url="ftp://example.com/"),
        link(url="http://"),
        link(url="https://exa mple.com"),
        link(url="https://example.com/\u0007"),
        link(url="https://example.com\n"),
        link(geo={"sa": "https://example.com"}),
        link(cloaked="yes"),
        link(title=None),
        [],
        [{"url": "https://example.com"}],
    ],
)
def test_required_faults_are_invalid_for_every_server(body: Any) -> None:
    assert not fuzzing.judge(strict=False).is_valid(body)
    assert not fuzzing.judge(strict=True).is_valid(body)


@pytest.mark.parametrize(
    ("field", "odd"),
    [
        ("url", "http://0"),
        ("image", "https://user:pw@example.com/"),
        ("ios", "http://example.com:0/a!$&'()*+,;=:@"),
        ("expiresAt", "2099-12-31t23:59:60z"),
        ("partnerId", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_plain_swaps_odd_but_valid_values_for_plain_ones(field: str, odd: str) -> None:
    item = {"url": "https://example.com/a", "collectionId": DOC_COLLECTION, field: odd}
    made = fuzzing.plain(item)
    assert made[field] != odd
    assert jsonschema_rs.validator_for(openapi.request_schema()).is_valid([made])
    assert fuzzing.plain(made) == made


def test_plain_keeps_plain_values() -> None:
    item = {
        "url": "https://example.com/a/b-c_d.e~f",
        "collectionId": DOC_COLLECTION,
        "expiresAt": "2099-01-02T03:04:05.123+03:00",
        "partnerId": "9b2e3c1a-5f4d-4a8b-9c7d-1e2f3a4b5c6d",
        "geo": {"SA": "https://hoko.example.org/sa"},
    }
    assert fuzzing.plain(item) == item
