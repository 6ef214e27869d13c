"""The contract as served: the spec as YAML and JSON, and a /docs page needing no network."""

from __future__ import annotations

import json
import re

import httpx

import openapi
from mock_server.reference import render_docs


def test_openapi_yaml_is_the_spec_text(client: httpx.Client) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.text == openapi.spec_text()


def test_openapi_json_is_the_spec(client: httpx.Client) -> None:
    response = client.get("/openapi.json")
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == openapi.load_spec()


def test_docs_page_is_served_and_self_contained(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "POST /api/links" in page
    for field in openapi.schema_at("#/components/schemas/LinkFields")["properties"]:
        assert f"<code>{field}</code>" in page
    # No script, stylesheet or image is fetched from anywhere.
    assert not re.search(r"<(script|link|img)\b", page)
    assert "طلب غير صالح" in page


def test_docs_page_renders_every_documented_status() -> None:
    page = render_docs()
    for status in openapi.STATUS_CODES:
        assert f"<h3>{status}</h3>" in page
