"""CORS: localhost origins by default, preflight for Authorization and JSON, headers exposed."""

from __future__ import annotations

import re

import httpx
import pytest

from mock_server.cors import origin_regex
from tests.mock_server.conftest import FULL, link, serve

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"]
)
def test_preflight_allows_localhost_origins(client: httpx.Client, origin: str) -> None:
    response = client.options("/api/links", headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://localhost.evil.example:80", "null"]
)
def test_preflight_refuses_other_origins(client: httpx.Client, origin: str) -> None:
    response = client.options("/api/links", headers={"Origin": origin, **PREFLIGHT})
    assert "access-control-allow-origin" not in response.headers


def test_rate_limit_headers_are_exposed_to_javascript(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers={**FULL, "Origin": "http://localhost:5173"}, json=[link()]
    )
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    } <= exposed


def test_configured_origins_replace_the_defaults() -> None:
    with serve(**{"cors-origins": ["https://app.example.com"]}) as live, live.client() as client:
        allowed = client.options(
            "/api/links", headers={"Origin": "https://app.example.com", **PREFLIGHT}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        local = client.options(
            "/api/links", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
        assert "access-control-allow-origin" not in local.headers


def test_origin_patterns() -> None:
    pattern = re.compile(origin_regex(["http://localhost:*", "https://*.example.com"]))
    assert pattern.fullmatch("http://localhost:8080")
    assert pattern.fullmatch("https://app.example.com")
    assert not pattern.fullmatch("https://a.b.example.com")
    assert not pattern.fullmatch("http://localhostx:8080")
