"""The Prefer header: Prism-compatible forced responses, each still a documented one."""

from __future__ import annotations

import httpx
import jsonschema_rs
import pytest

import openapi
from mock_server.prefer import Preferences, UnknownPreferenceError
from tests.mock_server.conftest import FULL, LiveMock


def documented(status: int, body: object) -> bool:
    """Return whether ``body`` is valid against the documented schema of ``status``."""
    return bool(
        jsonschema_rs.validator_for(
            openapi.response_schema(status), validate_formats=True
        ).is_valid(body)
    )


@pytest.mark.parametrize("status", openapi.STATUS_CODES)
def test_prefer_code_forces_each_documented_status(
    client: httpx.Client, mock: LiveMock, status: int
) -> None:
    before = mock.count()
    response = client.post("/api/links", headers={**FULL, "Prefer": f"code={status}"})
    assert response.status_code == status
    assert response.json() == next(iter(openapi.response_examples(status).values()))
    assert documented(status, response.json())
    assert mock.count() == before
    if status != 401:
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
            response.headers
        )


def test_prefer_429_has_required_headers_and_retry_after(client: httpx.Client) -> None:
    response = client.post("/api/links", headers={"Prefer": "code=429"})
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["retry-after"] == str(response.json()["retryAfter"])


def test_prefer_example_by_name(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers={**FULL, "Prefer": "example=documentedWithMetadata"}
    )
    assert response.status_code == 201
    assert response.json() == openapi.response_examples(201)["documentedWithMetadata"]


def test_prefer_code_and_example_together(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers={**FULL, "Prefer": 'code=201, example="documentedWithPlanFeatures"'}
    )
    assert response.status_code == 201
    assert response.json() == openapi.response_examples(201)["documentedWithPlanFeatures"]


@pytest.mark.parametrize(
    ("prefer", "listed"),
    [
        ("code=418", "201, 400, 401, 403, 429"),
        ("code=abc", "201, 400"),
        ("example=nope", "invalidRequest (400)"),
        ("code=400, example=documentedWithMetadata", "its examples: invalidRequest"),
    ],
)
def test_unknown_code_or_example_gets_a_400_listing_what_exists(
    client: httpx.Client, prefer: str, listed: str
) -> None:
    response = client.post("/api/links", headers={**FULL, "Prefer": prefer})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["en"] == "Invalid request"
    assert listed in body["issues"][0]["message"]
    assert body["available"]["201"] == ["documentedWithPlanFeatures", "documentedWithMetadata"]


def test_other_preferences_are_ignored(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers={**FULL, "Prefer": "return=minimal"}, json=[{"url": "x"}]
    )
    assert response.status_code == 400
    assert "available" not in response.json()


def test_preferences_parse_prism_forms() -> None:
    preferences = Preferences()
    assert preferences.choose(None) is None
    forced = preferences.choose("code=403")
    assert forced is not None
    assert (forced.status, forced.example) == (403, "missingScopes")
    with pytest.raises(UnknownPreferenceError):
        preferences.choose("code=500")
