"""The contract as served: the spec as YAML and JSON, and a /docs page needing no network."""

from __future__ import annotations

import json
import re

import httpx

import openapi
from mock_server.reference import ASSETS_DIR, render_reference


def test_openapi_yaml_is_the_spec_text(client: httpx.Client) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.text == openapi.spec_text()


def test_openapi_json_is_the_spec(client: httpx.Client) -> None:
    response = client.get("/openapi.json")
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == openapi.load_spec()


def test_docs_page_is_served_with_a_plain_reference_inside(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "POST /api/links" in page
    for field in openapi.schema_at("#/components/schemas/LinkFields")["properties"]:
        assert f"<code>{field}</code>" in page
    assert "طلب غير صالح" in page
    assert '"devKey": "hoko_test_full"' in page


def test_docs_page_loads_its_assets_from_the_mock_only(client: httpx.Client) -> None:
    page = client.get("/docs").text
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert len(assets) == 2
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        answer = client.get(asset)
        assert answer.status_code == 200
        assert answer.content == (ASSETS_DIR / asset.rsplit("/", 1)[1]).read_bytes()
    assert not re.search(r"<img\b", page)
    assert client.get("/docs/assets/nothing.js").status_code == 404


def test_swagger_ui_is_shipped_with_its_license() -> None:
    assert "Apache License" in (ASSETS_DIR / "LICENSE").read_text()
    assert json.loads((ASSETS_DIR / "package.json").read_text())["name"] == "swagger-ui-dist"


def test_docs_page_renders_every_documented_status() -> None:
    page = render_reference()
    for status in openapi.STATUS_CODES:
        assert f"<h3>{status}</h3>" in page
