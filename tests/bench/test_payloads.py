"""The benchmark's request bodies are valid requests of the contract."""

from __future__ import annotations

import jsonschema_rs
import orjson

import openapi
from bench.payloads import batch_body, curl_line, one_link_body


def test_one_link_body_is_a_valid_request() -> None:
    body = orjson.loads(one_link_body())
    jsonschema_rs.validate(openapi.request_schema(), body)
    assert len(body) == 1


def test_batch_body_is_valid_with_fresh_external_ids() -> None:
    first = orjson.loads(batch_body(50))
    second = orjson.loads(batch_body(50))
    jsonschema_rs.validate(openapi.request_schema(), first)
    ids = {link["externalId"] for link in first + second}
    assert len(first) == 50
    assert len(ids) == 100


def test_curl_line_elides_large_bodies() -> None:
    line = curl_line("http://127.0.0.1:1/api/links", batch_body(100))
    assert line.startswith("curl -X POST 'http://127.0.0.1:1/api/links'")
    assert "externalId" not in line
