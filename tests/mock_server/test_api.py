"""``/api/links``: the order of checks, authentication, methods, paths and hostile bodies."""

from __future__ import annotations

import socket

import httpx
import pytest

import openapi
from tests.mock_server.conftest import BASIC, DOC_COLLECTION, FULL, NOSCOPE, LiveMock, link, serve

INVALID_KEY = {"en": "Invalid API key", "ar": "مفتاح API غير صالح"}
INVALID_REQUEST = {"en": "Invalid request", "ar": "طلب غير صالح"}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer  x",
        "Basic aG9rb190ZXN0X2Z1bGw=",
        "Token hoko_test_full",
        "Bearer invalid_key",
        "Bearer hoko_test_full_",
        "Bearer hoko_test_ful",
        "hoko_test_full",
    ],
)
def test_401_for_missing_header_other_scheme_or_unknown_key(
    client: httpx.Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post("/api/links", headers=headers, json=[link()])
    assert response.status_code == 401
    assert response.json() == {"error": INVALID_KEY}
    assert "x-ratelimit-limit" not in response.headers


def test_bearer_scheme_is_case_insensitive(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers={"Authorization": "bearer hoko_test_full"}, json=[link()]
    )
    assert response.status_code == 201


def test_order_401_before_403_before_400(client: httpx.Client) -> None:
    bad_body = b"not json"
    assert (
        client.post(
            "/api/links", headers={"Authorization": "Bearer nope"}, content=bad_body
        ).status_code
        == 401
    )
    assert client.post("/api/links", headers=NOSCOPE, content=bad_body).status_code == 403
    assert client.post("/api/links", headers=FULL, content=bad_body).status_code == 400


def test_order_429_before_400_and_403_before_429() -> None:
    with serve(**{"rate-limit": 1}) as live, live.client() as client:
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
        assert client.post("/api/links", headers=FULL, content=b"not json").status_code == 429
        assert client.post("/api/links", headers=NOSCOPE).status_code == 403
        assert client.post("/api/links", headers=NOSCOPE).status_code == 403


def test_403_body_names_the_missing_scope(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=NOSCOPE, json=[link()])
    assert response.json() == openapi.response_examples(403)["missingScopes"]


@pytest.mark.parametrize(
    "method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FOO"]
)
def test_other_methods_get_405_with_allow(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/api/links", headers=FULL)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    if method != "HEAD":
        assert response.json()["error"]["en"] == "Method not allowed"


@pytest.mark.parametrize(
    "path", ["/", "/api", "/api/links/123", "/api/link", "/__mock/nothing", "/%ff"]
)
def test_unknown_paths_get_404_in_json(client: httpx.Client, path: str) -> None:
    response = client.post(path, headers=FULL, json=[link()])
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {"en": "Not found", "ar": "غير موجود"}


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 201),
        ("application/json; charset=utf-8", 201),
        ("application/hoko+json", 201),
        ("text/plain", 400),
        ("application/x-www-form-urlencoded", 400),
        (None, 400),
    ],
)
def test_content_type_must_be_json(
    client: httpx.Client, content_type: str | None, status: int
) -> None:
    headers = dict(FULL)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = (
        b'[{"url": "https://example.com", "collectionId": "550e8400-e29b-41d4-a716-446655440000"}]'
    )
    response = client.post("/api/links", headers=headers, content=body)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["issues"][0]["rule"] == "contentType"


DOC = DOC_COLLECTION.encode()
HOSTILE_BODIES = {
    "empty": b"",
    "whitespace": b"  \n ",
    "not json": b"hello",
    "truncated": b'[{"url": "https://example.com"',
    "invalid utf-8": b'[{"url": "https://example.com", "title": "\xff\xfe"}]',
    "lone surrogate": b'[{"url": "https://example.com", "title": "\\ud800"}]',
    "byte order mark": b"\xef\xbb\xbf[]",
    "NaN": b'[{"url": "https://example.com", "collectionId": NaN}]',
    "Infinity": b"[Infinity]",
    "huge exponent": b'[{"x": 1e400}]',
    "10,000-digit number": b"[" + b"9" * 10_000 + b"]",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "object": b'{"url": "https://example.com"}',
    "empty array": b"[]",
    "array of non-objects": b'[1, "a", null, true, []]',
    "null field": b'[{"url": null, "collectionId": "%s"}]' % DOC,
    "null utm": b'[{"url": "https://e.com", "collectionId": "%s", "utm": null}]' % DOC,
    "utm unknown key": b'[{"url": "https://e.com", "collectionId": "%s", "utm": {"x": "1"}}]' % DOC,
    "NUL in string": b'[{"url": "https://e.com/\\u0000", "collectionId": "%s"}]' % DOC,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_body_gets_documented_400_never_500(
    client: httpx.Client, mock: LiveMock, name: str
) -> None:
    before = mock.count()
    response = client.post(
        "/api/links",
        headers={**FULL, "Content-Type": "application/json"},
        content=HOSTILE_BODIES[name],
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == INVALID_REQUEST
    assert body["issues"]
    assert all({"path", "rule", "message"} == set(issue) for issue in body["issues"])
    assert "Traceback" not in response.text
    assert mock.count() == before


def test_400_says_which_item_and_field_broke_which_rule(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=FULL, json=[link(), link(url="ftp://example.com")])
    body = response.json()
    assert {k: body["issues"][0][k] for k in ("path", "rule")} == {
        "path": "$[1].url",
        "rule": "pattern",
    }


def test_400_for_the_documented_invalid_request(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=FULL, json=[{"url": "invalid-url"}])
    body = response.json()
    assert body["error"] == INVALID_REQUEST
    assert {(issue["path"], issue["rule"]) for issue in body["issues"]} >= {
        ("$[0].collectionId", "required"),
        ("$[0].url", "format"),
    }


def test_basic_key_is_still_authenticated(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=BASIC, json=[link()])
    assert response.status_code == 201
    assert "x-ratelimit-remaining" in response.headers


def test_latency_delays_answers() -> None:
    # A client that waits a third of the latency gives up; one that waits longer gets its 201.
    with serve(latency=3000) as live, live.client() as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/api/links", headers=FULL, json=[link()], timeout=1)
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201


def test_garbage_http_never_kills_the_server(mock: LiveMock, client: httpx.Client) -> None:
    host, port = mock.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"POST /api/links HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n\x00\x01")
    assert client.get("/__mock/health").status_code == 200
