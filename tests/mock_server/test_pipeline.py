"""One pipeline: a request with an Origin header is answered exactly as one without, plus CORS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server.cors import vary_on_origin
from tests.mock_server.conftest import FULL, NOSCOPE, LiveMock, link, serve

ORIGIN = {"Origin": "http://localhost:5173"}
CORS_ONLY = {"access-control-allow-origin", "access-control-expose-headers"}
# Derived per request: the date uvicorn stamps, the ids and time each created link gets.
PER_REQUEST_HEADERS = {"date"}
PER_LINK_FIELDS = ("id", "shortUrl", "qrCode", "createdAt")
PER_REQUEST_JOURNAL = ("time", "durationMs")

CASES: dict[str, dict[str, Any]] = {
    "201": {"method": "POST", "url": "/api/links", "headers": FULL, "json": [link(), link()]},
    "201-forced": {
        "method": "POST",
        "url": "/api/links",
        "headers": {**FULL, "Prefer": "code=201, example=documentedWithMetadata"},
        "json": [link()],
    },
    "400-body": {"method": "POST", "url": "/api/links", "headers": FULL, "json": []},
    "400-prefer": {
        "method": "POST",
        "url": "/api/links",
        "headers": {**FULL, "Prefer": "code=299"},
        "json": [link()],
    },
    "401": {"method": "POST", "url": "/api/links", "json": [link()]},
    "403": {"method": "POST", "url": "/api/links", "headers": NOSCOPE, "json": [link()]},
    "404": {"method": "GET", "url": "/api/nothing-here"},
    "405": {"method": "GET", "url": "/api/links", "headers": FULL},
}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    """A mock whose rate window outlasts the test, so both answers count from the same window."""
    with serve(**{"rate-window": 86_400}) as mock:
        yield mock


def _answer(live: LiveMock, case: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    live.reset()
    with live.client() as client:
        headers = {**case.get("headers", {}), **extra}
        response = client.request(**{**case, "headers": headers})
        entries = client.get("/__mock/journal", params={"limit": 10}).json()["entries"]
    body: Any = response.json()
    if response.status_code == 201 and "Prefer" not in headers:
        body = [{k: v for k, v in item.items() if k not in PER_LINK_FIELDS} for item in body]
    assert len(entries) == 1, entries
    return {
        "status": response.status_code,
        "headers": [
            (name, value)
            for name, value in response.headers.multi_items()
            if name not in CORS_ONLY | PER_REQUEST_HEADERS
        ],
        "cors": {name: response.headers.get(name) for name in CORS_ONLY},
        "body": body,
        "journal": {k: v for k, v in entries[0].items() if k not in PER_REQUEST_JOURNAL},
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_origin_changes_nothing_but_the_cors_headers(live: LiveMock, name: str) -> None:
    bare = _answer(live, CASES[name], {})
    with_origin = _answer(live, CASES[name], ORIGIN)
    assert with_origin["status"] == bare["status"] == int(name[:3])
    assert with_origin["headers"] == bare["headers"]
    assert ("vary", "Origin") in bare["headers"]
    assert with_origin["body"] == bare["body"]
    assert with_origin["journal"] == bare["journal"]
    assert bare["journal"]["status"] == bare["status"]
    assert bare["cors"] == dict.fromkeys(CORS_ONLY)
    assert with_origin["cors"]["access-control-allow-origin"] == ORIGIN["Origin"]


def test_a_refused_preflight_answers_in_the_error_shape(live: LiveMock) -> None:
    with live.client() as client:
        response = client.options(
            "/api/links",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
        )
    assert response.status_code == 400
    assert response.json()["detail"] == "Disallowed CORS origin, method"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"].startswith("Origin, Access-Control-Request-Method")


def test_a_vary_already_set_is_extended_not_replaced() -> None:
    merged = vary_on_origin([(b"content-type", b"x"), (b"vary", b"Accept")])
    assert merged == [(b"content-type", b"x"), (b"vary", b"Accept, Origin")]
    assert vary_on_origin([]) == [(b"vary", b"Origin")]


def test_control_answers_carry_cors_too(live: LiveMock) -> None:
    answer = httpx.get(f"{live.base_url}/__mock/health", headers=ORIGIN, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN["Origin"]
