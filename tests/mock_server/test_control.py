"""``/__mock/``: health, links with filters, reset, journal (never a key), config, admin token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from tests.mock_server.conftest import DOC_COLLECTION, FULL, LiveMock, link, serve

OTHER_COLLECTION = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def test_health(client: httpx.Client, mock: LiveMock) -> None:
    body = client.get("/__mock/health").json()
    assert body == {"status": "ok", "links": mock.count()}


def test_links_filtered_by_collection_and_external_id(
    client: httpx.Client, fresh: Callable[[], str]
) -> None:
    external_id = fresh()
    created = client.post(
        "/api/links",
        headers=FULL,
        json=[link(collectionId=OTHER_COLLECTION, externalId=external_id)],
    ).json()
    found = client.get(
        "/__mock/links", params={"collectionId": OTHER_COLLECTION, "externalId": external_id}
    )
    assert found.json() == {"count": 1, "links": created}
    assert (
        client.get(
            "/__mock/links", params={"collectionId": DOC_COLLECTION, "externalId": external_id}
        ).json()["count"]
        == 0
    )
    in_collection = client.get(
        "/__mock/links", params={"collectionId": OTHER_COLLECTION.upper()}
    ).json()
    assert created[0] in in_collection["links"]


def test_reset_forgets_links_and_frees_external_ids() -> None:
    with serve() as live, live.client() as client:
        assert (
            client.post("/api/links", headers=FULL, json=[link(externalId="a")]).status_code == 201
        )
        assert client.post("/__mock/reset").json() == {"reset": True, "links": 0}
        assert client.get("/__mock/links").json() == {"count": 0, "links": []}
        assert (
            client.post("/api/links", headers=FULL, json=[link(externalId="a")]).status_code == 201
        )


def test_journal_lists_requests_in_the_order_they_were_answered() -> None:
    """Entries that reach the store out of order (replicas, workers) are listed by answer time."""
    answered = {"method": "POST", "path": "/api/links", "durationMs": 1.0}
    with serve() as live, live.client() as client:
        # The later answer's entry lands first, as another replica's background flush can.
        for time, status in ((2_000_000_000.5, 400), (2_000_000_000.25, 201)):
            asyncio.run(live.store.record({**answered, "time": time, "status": status}))
        entries = client.get("/__mock/journal").json()["entries"]
    assert [entry["status"] for entry in entries] == [201, 400]


def test_journal_records_requests_without_the_api_key() -> None:
    with serve() as live, live.client() as client:
        client.post("/api/links", headers=FULL, json=[link()])
        client.post(
            "/api/links", headers={"Authorization": "Bearer secret_wrong_key"}, json=[link()]
        )
        client.post("/api/links", headers=FULL, json=[{"url": "invalid-url"}])
        client.get("/nowhere?key=hoko_test_full")
        client.get("/__mock/health")
        journal = client.get("/__mock/journal", params={"limit": 10})
        entries = journal.json()["entries"]
        assert [(e["method"], e["path"], e["status"]) for e in entries] == [
            ("POST", "/api/links", 201),
            ("POST", "/api/links", 401),
            ("POST", "/api/links", 400),
            ("GET", "/nowhere", 404),
        ]
        assert entries[0]["links"] == 1
        assert entries[2]["issues"][0]["path"] == "$[0].collectionId"
        assert all({"time", "durationMs"} <= set(entry) for entry in entries)
        assert "hoko_test_full" not in journal.text
        assert "secret_wrong_key" not in journal.text
        assert client.get("/__mock/journal", params={"limit": 1}).json()["count"] == 1
        assert client.get("/__mock/journal", params={"limit": "x"}).status_code == 400


def test_config_lists_keys_plans_collections_and_rate_limit(
    client: httpx.Client, mock: LiveMock
) -> None:
    body = client.get("/__mock/config").json()
    assert {key["key"]: (key["scopes"], key["plan"]) for key in body["keys"]} == {
        "hoko_test_full": (["linksRead", "linksWrite"], "pro"),
        "hoko_test_noscope": (["linksRead"], "pro"),
        "hoko_test_basic": (["linksWrite"], "basic"),
    }
    assert body["plans"]["basic"] == {"features": [], "linksPerRequest": 5, "linksTotal": None}
    assert body["plans"]["pro"]["linksPerRequest"] == 10_000
    assert body["collections"] == [DOC_COLLECTION, OTHER_COLLECTION]
    assert body["rateLimit"] == {"requests": 1_000_000, "windowSeconds": 60.0}
    assert body["baseUrl"] == mock.base_url


def test_control_endpoints_405_on_wrong_method(client: httpx.Client) -> None:
    response = client.get("/__mock/reset")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["en"] == "Method not allowed"


def test_admin_token_protects_control_endpoints() -> None:
    with serve(**{"admin-token": "s3cret"}) as live, live.client() as client:
        refused = client.get("/__mock/config")
        assert refused.status_code == 401
        assert refused.json()["error"]["en"] == "Invalid API key"
        assert (
            client.get("/__mock/config", headers={"X-Mock-Admin-Token": "wrong"}).status_code == 401
        )
        allowed = client.get("/__mock/config", headers={"X-Mock-Admin-Token": "s3cret"})
        assert allowed.json()["adminTokenRequired"] is True
        assert "s3cret" not in allowed.text
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
