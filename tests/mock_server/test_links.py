"""Link creation: the business rules, atomicity, and the shape of each created link."""

from __future__ import annotations

import datetime
import re
import tracemalloc
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import config as config_module
from mock_server.links import (
    STRIDED_FROM,
    LinkFactory,
    RateKey,
    ShortLinks,
    _short_ids,
    _uuid4s,
    encode_uri_component,
)
from mock_server.plans import FEATURE_OF_FIELD
from mock_server.store import MemoryStore, StoredLink
from tests.mock_server.conftest import BASIC, DOC_COLLECTION, FULL, LiveMock, link, run_async, serve

OTHER_COLLECTION = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
GATED_VALUES: dict[str, Any] = {
    "expiresAt": "2026-12-31T23:59:00Z",
    "expiredUrl": "https://example.com/expired",
    "password": "launch",
    "cloaked": False,
    "ios": "https://example.com/ios",
    "android": "https://example.com/android",
    "geo": {"SA": "https://example.com/sa"},
}


def stored(client: httpx.Client, external_id: str) -> list[dict[str, Any]]:
    """Return the links stored under ``external_id``, through the control endpoint."""
    answer = client.get("/__mock/links", params={"externalId": external_id})
    links: list[dict[str, Any]] = answer.json()["links"]
    return links


def issues(response: httpx.Response) -> list[dict[str, str]]:
    """Return the issues of a 400, after checking its documented part."""
    body = response.json()
    assert response.status_code == 400, body
    assert body["error"] == {"en": "Invalid request", "ar": "طلب غير صالح"}
    found: list[dict[str, str]] = body["issues"]
    return found


def test_created_link_has_ids_short_url_qr_code_and_timestamp(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=FULL, json=[link(), link()])
    assert response.status_code == 201, response.text
    first, second = response.json()
    assert first["id"] != second["id"]
    assert first["shortUrl"] != second["shortUrl"]
    for created in (first, second):
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", created["id"]
        )
        short_id = created["shortUrl"].removeprefix("https://hoko.to/")
        assert re.fullmatch(r"[A-Za-z0-9_~.-]+", short_id)
        expected_qr = (
            "https://hoko.to/qrcode?text="
            + urllib.parse.quote(created["shortUrl"] + "?qr=1", safe="")
            + "&size=512&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"
        )
        assert created["qrCode"] == expected_qr
        stamp = datetime.datetime.fromisoformat(created["createdAt"])
        assert stamp.utcoffset() == datetime.timedelta(0)
        assert abs((datetime.datetime.now(datetime.UTC) - stamp).total_seconds()) < 60


def test_every_sent_field_is_echoed_unchanged_and_unknown_ones_are_not(
    client: httpx.Client, fresh: Callable[[], str]
) -> None:
    sent = link(
        title="",
        description="d",
        image="https://example.com/i.png",
        utm={"source": "s", "referral": "r"},
        externalId=fresh(),
        tenantId="t",
        partnerId="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        somethingElse={"x": 1},
        **GATED_VALUES,
    )
    response = client.post("/api/links", headers=FULL, json=[sent])
    assert response.status_code == 201, response.text
    (created,) = response.json()
    assert "somethingElse" not in created
    assert {k: created[k] for k in sent if k != "somethingElse"} == {
        k: v for k, v in sent.items() if k != "somethingElse"
    }


def test_request_order_is_kept(client: httpx.Client) -> None:
    sent = [link(title=f"link {index}") for index in range(50)]
    response = client.post("/api/links", headers=FULL, json=sent)
    assert [created["title"] for created in response.json()] == [item["title"] for item in sent]


def test_short_url_base_is_configurable() -> None:
    with serve(**{"short-url-base": "http://localhost:9999/s/"}) as live, live.client() as client:
        (created,) = client.post("/api/links", headers=FULL, json=[link()]).json()
    assert created["shortUrl"].startswith("http://localhost:9999/s/")
    assert created["qrCode"] == (
        "http://localhost:9999/s/qrcode?text="
        + urllib.parse.quote(created["shortUrl"] + "?qr=1", safe="")
        + "&size=512&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"
    )


def test_encode_uri_component_matches_javascript() -> None:
    # Values computed with Node's encodeURIComponent.
    assert (
        encode_uri_component("https://hoko.to/a-b_c.d~e?qr=1")
        == "https%3A%2F%2Fhoko.to%2Fa-b_c.d~e%3Fqr%3D1"
    )
    assert encode_uri_component("!'()* é/") == "!'()*%20%C3%A9%2F"


@pytest.mark.parametrize("count", [1, 2, 3, STRIDED_FROM - 1, STRIDED_FROM, 1000])
def test_generated_ids_are_uuid4_and_short_ids_url_safe(count: int) -> None:
    ids, short_ids = _uuid4s(count), _short_ids(count)
    assert (len(ids), len(short_ids)) == (count, count)
    for value in ids:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value
        )
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", short_id) for short_id in short_ids)
    assert len(set(ids)) == count


@pytest.mark.parametrize("base", ["https://hoko.to", "http://localhost:9999/s/"])
def test_a_stored_link_reads_back_byte_for_byte_as_answered(base: str) -> None:
    with serve(**{"short-url-base": base}) as live, live.client() as client:
        external_id = f"ext-{base}"
        created = client.post("/api/links", headers=FULL, json=[link(externalId=external_id)])
        listed = client.get("/__mock/links", params={"externalId": external_id})
    assert created.status_code == 201, created.text
    assert listed.content == b'{"count":1,"links":' + created.content + b"}"


LINK_ID = b"0b6f3f4e-2a86-4c5e-9d8e-1f2a3b4c5d6e"


def test_a_link_stored_whole_reads_back_unchanged() -> None:
    whole = b'{"id":"' + LINK_ID + b'","shortUrl":"https://hoko.to/abcdefgh","url":"u"}'
    stored_link = StoredLink("abcdefgh", DOC_COLLECTION, None, whole)
    assert ShortLinks("https://hoko.to").answered(stored_link) == whole


def test_a_link_stored_packed_reads_back_with_its_braces() -> None:
    short_links = ShortLinks("https://hoko.to")
    packed = LINK_ID + b'","url":"u"'
    answered = short_links.answered(StoredLink("abcdefgh", DOC_COLLECTION, None, packed))
    current = b'{"id":"' + LINK_ID + b'","url":"u"}'
    assert answered == short_links.answered(StoredLink("abcdefgh", DOC_COLLECTION, None, current))
    assert orjson.loads(answered)["shortUrl"] == "https://hoko.to/abcdefgh"


def test_short_id_collisions_are_retried(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client, mock: LiveMock
) -> None:
    (taken,) = client.post("/api/links", headers=FULL, json=[link()]).json()
    taken_id = taken["shortUrl"].rsplit("/", 1)[1]
    # A draw repeating itself is redrawn; a batch whose shortId is taken is drawn again whole.
    draws = iter([[taken_id, taken_id], ["fresh001"], ["fresh002", "fresh003"]])
    monkeypatch.setattr("mock_server.links._short_ids", lambda count: next(draws))
    response = client.post("/api/links", headers=FULL, json=[link(), link()])
    assert response.status_code == 201
    assert sorted(created["shortUrl"].rsplit("/", 1)[1] for created in response.json()) == [
        "fresh002",
        "fresh003",
    ]


def test_unknown_collection_is_400_and_creates_nothing(
    client: httpx.Client, fresh: Callable[[], str]
) -> None:
    external_id = fresh()
    unknown = "00000000-0000-4000-8000-000000000000"
    response = client.post(
        "/api/links", headers=FULL, json=[link(externalId=external_id), link(collectionId=unknown)]
    )
    (issue,) = issues(response)
    assert issue["path"] == "$[1].collectionId"
    assert issue["rule"] == "collectionExists"
    assert stored(client, external_id) == []


def test_collection_id_matches_whatever_the_hex_case(client: httpx.Client) -> None:
    response = client.post(
        "/api/links", headers=FULL, json=[link(collectionId=OTHER_COLLECTION.upper())]
    )
    assert response.status_code == 201
    assert response.json()[0]["collectionId"] == OTHER_COLLECTION.upper()


@pytest.mark.parametrize("field", sorted(FEATURE_OF_FIELD))
def test_plan_gate_refuses_each_gated_field_on_the_basic_plan(
    client: httpx.Client, field: str
) -> None:
    response = client.post("/api/links", headers=BASIC, json=[link(**{field: GATED_VALUES[field]})])
    (issue,) = issues(response)
    assert issue == {
        "path": f"$[0].{field}",
        "rule": "planFeature",
        "message": f"{field} needs the {FEATURE_OF_FIELD[field]!r} feature,"
        " which the plan 'basic' lacks",
    }


def test_plan_gate_allows_every_gated_field_on_the_pro_plan(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=FULL, json=[link(**GATED_VALUES)])
    assert response.status_code == 201, response.text


def test_basic_plan_creates_plain_links(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=BASIC, json=[link(title="t")] * 5)
    assert response.status_code == 201, response.text


def test_per_request_limit_of_the_plan(client: httpx.Client, fresh: Callable[[], str]) -> None:
    external_id = fresh()
    response = client.post(
        "/api/links", headers=BASIC, json=[link(externalId=external_id)] + [link()] * 5
    )
    (issue,) = issues(response)
    assert issue["rule"] == "planLinksPerRequest"
    assert "allows 5 links per request; the body has 6" in issue["message"]
    assert stored(client, external_id) == []


def test_spec_hard_limit_of_10000_links(client: httpx.Client) -> None:
    response = client.post("/api/links", headers=FULL, json=[link()] * 10_001)
    (issue,) = issues(response)
    assert issue["rule"] == "maxItems"


def test_external_id_unique_across_batches(client: httpx.Client, fresh: Callable[[], str]) -> None:
    external_id = fresh()
    assert (
        client.post("/api/links", headers=FULL, json=[link(externalId=external_id)]).status_code
        == 201
    )
    other = fresh()
    response = client.post(
        "/api/links", headers=FULL, json=[link(externalId=other), link(externalId=external_id)]
    )
    (issue,) = issues(response)
    assert issue["path"] == "$[1].externalId"
    assert issue["rule"] == "externalIdUniqueInWorkspace"
    assert len(stored(client, external_id)) == 1
    assert stored(client, other) == []


def test_external_id_unique_within_a_batch(client: httpx.Client, fresh: Callable[[], str]) -> None:
    external_id = fresh()
    response = client.post("/api/links", headers=FULL, json=[link(externalId=external_id)] * 2)
    (issue,) = issues(response)
    assert issue["path"] == "$[1].externalId"
    assert issue["rule"] == "externalIdUniqueInBatch"
    assert stored(client, external_id) == []


def test_empty_external_id_is_valid_and_unique_too(client: httpx.Client, mock: LiveMock) -> None:
    mock.reset()
    assert client.post("/api/links", headers=FULL, json=[link(externalId="")]).status_code == 201
    assert client.post("/api/links", headers=FULL, json=[link(externalId="")]).status_code == 400


def test_rejected_batch_is_atomic_nothing_stored_no_external_id_taken(
    client: httpx.Client, mock: LiveMock, fresh: Callable[[], str]
) -> None:
    before = mock.count()
    ids = [fresh() for _ in range(3)]
    batch = [
        link(externalId=ids[0]),
        link(externalId=ids[1]),
        link(externalId=ids[2], url="invalid-url"),
    ]
    assert client.post("/api/links", headers=FULL, json=batch).status_code == 400
    assert mock.count() == before
    # The externalIds of the rejected batch are still free.
    batch[2]["url"] = "https://example.com"
    assert client.post("/api/links", headers=FULL, json=batch).status_code == 201
    assert mock.count() == before + 3


def test_plan_quota_over_the_workspace() -> None:
    plans = {
        "capped": {"features": [], "links-per-request": 10, "links-total": 4},
    }
    keys = {"capped_key": {"scopes": ["linksWrite"], "plan": "capped"}}
    with serve(plans=plans, keys=keys) as live, live.client() as client:
        headers = {"Authorization": "Bearer capped_key"}
        assert client.post("/api/links", headers=headers, json=[link()] * 3).status_code == 201
        response = client.post("/api/links", headers=headers, json=[link()] * 2)
        (issue,) = issues(response)
        assert issue["rule"] == "planLinksTotal"
        assert live.count() == 3
        assert client.post("/api/links", headers=headers, json=[link()]).status_code == 201


def test_10000_link_batch_is_created_and_stored(client: httpx.Client, mock: LiveMock) -> None:
    before = mock.count()
    response = client.post(
        "/api/links", headers=FULL, json=[link(title=str(i)) for i in range(10_000)]
    )
    assert response.status_code == 201
    created = response.json()
    assert len(created) == 10_000
    assert len({item["shortUrl"] for item in created}) == 10_000
    assert mock.count() == before + 10_000


def test_links_of_other_collection_are_filtered(
    client: httpx.Client, fresh: Callable[[], str]
) -> None:
    external_id = fresh()
    client.post(
        "/api/links",
        headers=FULL,
        json=[link(collectionId=OTHER_COLLECTION, externalId=external_id)],
    )
    in_doc = client.get(
        "/__mock/links", params={"collectionId": DOC_COLLECTION, "externalId": external_id}
    ).json()
    in_other = client.get(
        "/__mock/links", params={"collectionId": OTHER_COLLECTION, "externalId": external_id}
    ).json()
    assert in_doc["count"] == 0
    assert in_other["count"] == 1


def test_stored_link_equals_the_answer_even_with_separator_like_text(
    client: httpx.Client, fresh: Callable[[], str]
) -> None:
    external_id = fresh()
    tricky = '},{"id":"x'
    sent = [link(title=tricky, externalId=external_id), link(description=tricky)]
    created = client.post("/api/links", headers=FULL, json=sent).json()
    assert created[0]["title"] == tricky
    assert stored(client, external_id) == [created[0]]


@run_async
async def test_a_stored_link_costs_its_bytes_not_a_serializer_buffer() -> None:
    config = config_module.build(("test", {}))
    factory = LinkFactory(config, MemoryStore())
    plan = config.plans["pro"]
    batch = [link(title="t" * 100, externalId=f"memory-{index}") for index in range(2_000)]
    rate = RateKey("memory", 1_000, 60, 0)
    await factory.create(batch[:1], plan, rate)
    tracemalloc.start()
    try:
        await factory.create(batch[1:], plan, rate)
        stored_bytes, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About 250 bytes of JSON per link, its shortId and externalId, and its index entries.
    assert stored_bytes / len(batch[1:]) < 1024


SENT_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)


@given(
    st.lists(
        st.fixed_dictionaries(
            {"url": SENT_TEXT},
            optional={"title": SENT_TEXT, "utm": st.dictionaries(SENT_TEXT, SENT_TEXT, max_size=2)},
        ),
        min_size=1,
        max_size=70,  # past STRIDED_FROM, where ids are laid out another way
    ),
    st.sampled_from(["https://hoko.to", "http://localhost:9999/s/", "http://127.0.0.1:8000/s"]),
)
def test_the_answer_is_the_stored_links_as_each_reads_back(
    items: list[dict[str, Any]], base: str
) -> None:
    config = config_module.build(("test", {"short-url-base": base}))
    factory = LinkFactory(config, MemoryStore())
    batch = [{**item, "collectionId": DOC_COLLECTION} for item in items]
    stored = factory._build(batch, [DOC_COLLECTION] * len(batch))
    short_links = ShortLinks(config.short_url_base)
    answer = short_links.answered_array(stored)
    assert answer == b"[" + b",".join(short_links.answered(link) for link in stored) + b"]"
    for sent, created, kept in zip(batch, orjson.loads(answer), stored, strict=True):
        assert {k: created[k] for k in sent} == sent
        assert created["shortUrl"] == short_links.short_url_prefix + kept.short_id
        assert b"shortUrl" not in kept.body
