"""Hostile input and concurrency: documented statuses only, no 500, no duplicate, no half batch."""

from __future__ import annotations

import concurrent.futures

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mock_server.conftest import DOC_COLLECTION, FULL, LiveMock, failure, link, serve

DOCUMENTED = {201, 400, 401, 403, 429}
VALID = orjson.dumps([link(title="t", externalId="x", geo={"SA": "https://example.com/sa"})])


@st.composite
def mutated_json(draw: st.DrawFn) -> bytes:
    """Draw a valid body with bytes flipped, inserted, removed or cut."""
    body = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(body) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip":
            body[position] = draw(st.integers(0, 255))
        elif action == "insert":
            body[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del body[position]
        else:
            del body[position:]
        if not body:
            break
    return bytes(body)


bodies = st.one_of(
    st.binary(max_size=300),
    mutated_json(),
    st.sampled_from(
        [
            b"[" + b"9" * 5000 + b"]",
            b"[1e999999]",
            b"[-0.0e-99999]",
            b"[" * 5000,
            b'["\\udfff"]',
            b'[{"url": "https://example.com", "collectionId": "%s", "title": NaN}]'
            % DOC_COLLECTION.encode(),
        ]
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "",
        "application/json; charset=latin-1",
        "*/*",
        "application/",
    ]
)
authorizations = st.sampled_from(
    [
        "Bearer hoko_test_full",
        "Bearer hoko_test_noscope",
        "Bearer hoko_test_basic",
        "Bearer x",
        "Basic x",
        "",
    ]
)


def check_answer(response: httpx.Response) -> None:
    """Assert the answer is documented: its status and, for errors, the bilingual JSON body."""
    documented = "201, 400, 401, 403 or 429; errors as {error: {en, ar}}"
    assert response.status_code in DOCUMENTED, failure("undocumented status", response, documented)
    body = response.json()
    if response.status_code != 201:
        assert set(body["error"]) == {"en", "ar"}, failure("error body shape", response, documented)


def fuzz_once(client: httpx.Client, body: bytes, content_type: str, authorization: str) -> int:
    """Send one fuzzed request and check the answer; return its status."""
    headers = {"Content-Type": content_type, "Authorization": authorization}
    response = client.post(
        "/api/links", headers={k: v for k, v in headers.items() if v}, content=body
    )
    check_answer(response)
    return response.status_code


@given(body=bodies, content_type=content_types, authorization=authorizations)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_bodies_and_headers_get_documented_answers(
    mock: LiveMock, body: bytes, content_type: str, authorization: str
) -> None:
    with mock.client() as client:
        fuzz_once(client, body, content_type, authorization)


def test_duplicated_authorization_headers_are_not_a_crash(client: httpx.Client) -> None:
    headers = [("Authorization", "Bearer nope"), ("Authorization", "Bearer hoko_test_full")]
    response = client.post("/api/links", headers=headers, json=[link()])
    check_answer(response)
    assert response.status_code == 401


def test_oversized_header_is_refused_and_the_server_lives_on(client: httpx.Client) -> None:
    # uvicorn either answers 4xx or drops the connection; the server must stay up either way.
    try:
        response = client.post(
            "/api/links", headers={**FULL, "X-Huge": "a" * 200_000}, json=[link()]
        )
        assert 400 <= response.status_code < 500
    except httpx.TransportError:
        pass
    assert client.get("/__mock/health").status_code == 200


def test_api_key_never_echoed_in_an_error(client: httpx.Client) -> None:
    for key in ["Bearer secret_guess_123", "Bearer hoko_test_noscope"]:
        response = client.post("/api/links", headers={"Authorization": key}, content=b"{")
        assert key.split()[1] not in response.text


def test_overlapping_batches_with_the_same_external_ids_store_each_once() -> None:
    with serve(**{"rate-limit": 100_000}) as live:

        def post(index: int) -> tuple[int, list[str]]:
            # Batches of 5 overlapping windows of 20 externalIds: many collide with each other.
            ids = [f"overlap-{(index + offset) % 20}" for offset in range(5)]
            with httpx.Client(base_url=live.base_url, timeout=30) as client:
                response = client.post(
                    "/api/links", headers=FULL, json=[link(externalId=i) for i in ids]
                )
            return response.status_code, ids

        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(post, range(80)))
        assert {status for status, _ in results} <= {201, 400}
        created = [ids for status, ids in results if status == 201]
        stored = [item["externalId"] for item in live.client().get("/__mock/links").json()["links"]]
        assert len(stored) == len(set(stored)), "an externalId was stored twice"
        assert sorted(stored) == sorted(i for ids in created for i in ids), (
            "a batch was half stored"
        )
