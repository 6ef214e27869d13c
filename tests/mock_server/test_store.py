"""The store: fixed rate-limit windows (exact under concurrency), atomic inserts, reset."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.app import YOUNG_COLLECTION_THRESHOLD
from mock_server.redis_store import RedisStore
from mock_server.sqlite_store import SqliteStore
from mock_server.store import (
    InsertRefused,
    LinkStore,
    MemoryStore,
    RateWindow,
    StoredLink,
    window_start,
)
from tests.mock_server.conftest import FULL, NOSCOPE, link, run_async, serve
from tests.mock_server.redis_server import RedisServer, running_redis


def stored_link(short_id: str, external_id: str | None = None) -> StoredLink:
    """Return a stored link with just enough to test the store."""
    return StoredLink(short_id, "550e8400-e29b-41d4-a716-446655440000", external_id, b"{}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session; each store test uses a prefix of its own."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LinkStore]:
    """Each store implementation, fresh, with a journal of 3 entries."""
    made: LinkStore
    if request.param == "memory":
        made = MemoryStore(3)
    elif request.param == "sqlite":
        made = SqliteStore(str(tmp_path / "s.db"), 3)
    else:
        server = request.getfixturevalue("redis_server")
        # The tests pass fixed times; the served mock counts on Redis's clock instead.
        made = RedisStore(server.url, tmp_path.name, 3, caller_clock=True)
    yield made
    asyncio.run(made.close())


@run_async
async def test_window_counts_and_resets_at_its_end(store: LinkStore) -> None:
    first = await store.hit("k", 2, 60, 120.5)
    assert (first.count, first.remaining, first.resets_at, first.exceeded) == (1, 1, 180, False)
    await store.hit("k", 2, 60, 130)
    third = await store.hit("k", 2, 60, 179.9)
    assert (third.remaining, third.exceeded) == (0, True)
    assert third.retry_after(179.9) == 1
    next_window = await store.hit("k", 2, 60, 180)
    assert (next_window.count, next_window.resets_at) == (1, 240)
    assert (await store.peek("k", 2, 60, 181)).count == 1
    assert (await store.peek("other", 2, 60, 181)).count == 0


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@run_async
async def test_a_late_clock_counts_in_the_window_already_opened(kind: str, tmp_path: Path) -> None:
    # Workers read their clocks before reading the body: a read just before the boundary may
    # reach the store after another request opened the next window. (Redis has one clock.)
    store: LinkStore = MemoryStore(3) if kind == "memory" else SqliteStore(str(tmp_path / "s.db"))
    try:
        await store.hit("k", 5, 60, 150)
        opened = await store.hit("k", 5, 60, 180.5)
        late = await store.hit("k", 5, 60, 179.9)
        assert (opened.count, late.count, late.resets_at) == (1, 2, 240)
        assert (await store.peek("k", 5, 60, 181)).count == 2
    finally:
        await store.close()


def test_window_start_is_aligned_to_the_epoch() -> None:
    assert window_start(125, 60) == 120
    assert window_start(0.7, 0.5) == 0.5


def test_rate_window_headers() -> None:
    window = RateWindow(limit=10, count=3, resets_at=100.2)
    assert dict(window.headers()) == {
        b"x-ratelimit-limit": b"10",
        b"x-ratelimit-remaining": b"7",
        b"x-ratelimit-reset": b"101",
    }


@run_async
async def test_insert_is_all_or_nothing_on_a_taken_external_id(store: LinkStore) -> None:
    assert await store.insert([stored_link("a", "x")], None) is None
    refused = await store.insert([stored_link("b", "y"), stored_link("c", "x")], None)
    assert refused is not None
    assert refused.taken_external_ids == ("x",)
    assert await store.count() == 1
    assert await store.find(None, "y") == []
    assert await store.short_ids_taken(["a", "b", "c"]) == {"a"}
    assert await store.get("a") == stored_link("a", "x")
    assert await store.get("b") is None


@run_async
async def test_insert_respects_the_total_cap(store: LinkStore) -> None:
    assert await store.insert([stored_link("a"), stored_link("b")], 3) is None
    refused = await store.insert([stored_link("c"), stored_link("d")], 3)
    assert refused is not None
    assert (refused.links_total, refused.links_stored) == (3, 2)
    assert await store.count() == 2


@run_async
async def test_journal_keeps_the_last_entries(store: LinkStore) -> None:
    for index in range(5):
        await store.record({"n": index})
    assert await store.journal(10) == [{"n": 2}, {"n": 3}, {"n": 4}]
    assert await store.journal(1) == [{"n": 4}]
    assert await store.journal(0) == []


@run_async
async def test_reset_forgets_everything(store: LinkStore) -> None:
    await store.insert([stored_link("a", "x")], None)
    await store.hit("k", 1, 60, 1)
    await store.record({"n": 1})
    await store.reset()
    assert (await store.count(), await store.find(None, "x"), await store.journal(5)) == (0, [], [])
    assert await store.get("a") is None
    assert (await store.peek("k", 1, 60, 1)).count == 0


def test_rate_limit_headers_on_every_authenticated_response_and_429() -> None:
    with serve(**{"rate-limit": 3, "rate-window": 3600}) as live, live.client() as client:
        answers = [
            client.post("/api/links", headers=FULL, json=[link()]),
            client.post("/api/links", headers=FULL, content=b"bad"),
            client.post("/api/links", headers=FULL, json=[link()]),
            client.post("/api/links", headers=FULL, json=[link()]),
        ]
        assert [a.status_code for a in answers] == [201, 400, 201, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        resets = {int(a.headers["x-ratelimit-reset"]) for a in answers}
        assert len(resets) == 1
        assert time.time() < resets.pop() <= time.time() + 3600
        limited = answers[-1]
        assert limited.json()["error"] == {"en": "Rate limit exceeded", "ar": "تم تجاوز حد المعدل"}
        assert limited.headers["retry-after"] == str(limited.json()["retryAfter"])
        # Each key has its own window.
        assert client.post("/api/links", headers=NOSCOPE).headers["x-ratelimit-remaining"] == "2"


def test_rate_limit_window_resets() -> None:
    with serve(**{"rate-limit": 2, "rate-window": 2}) as live, live.client() as client:
        # Start at the beginning of a window so all three requests share it.
        time.sleep(2 - time.time() % 2 + 0.02)
        answers = [client.post("/api/links", headers=FULL, json=[link()]) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [201, 201, 429]
        resets_at = int(answers[-1].headers["x-ratelimit-reset"])
        time.sleep(max(0.0, resets_at - time.time()) + 0.05)
        response = client.post("/api/links", headers=FULL, json=[link()])
        assert response.status_code == 201
        assert response.headers["x-ratelimit-remaining"] == "1"


def test_control_reset_clears_rate_limit_windows() -> None:
    with serve(**{"rate-limit": 1, "rate-window": 3600}) as live, live.client() as client:
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 429
        assert client.post("/__mock/reset").status_code == 200
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201


def test_rate_limit_is_exact_under_32_concurrent_clients() -> None:
    with serve(**{"rate-limit": 50, "rate-window": 3600}) as live:

        def post(_: int) -> int:
            with httpx.Client(base_url=live.base_url, timeout=30) as client:
                return client.post("/api/links", headers=FULL, json=[link()]).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(post, range(120)))
        assert statuses.count(201) == 50
        assert statuses.count(429) == 70
        assert live.count() == 50


@run_async
async def test_stored_links_are_invisible_to_the_cyclic_gc() -> None:
    store = MemoryStore()
    gc.collect()
    before = len(gc.get_objects())
    await store.insert([stored_link(f"s{i}", f"e{i}") for i in range(5_000)], None)
    gc.collect()
    assert await store.count() == 5_000
    assert len(gc.get_objects()) - before < 50
    assert await store.get("s42") == stored_link("s42", "e42")


def test_startup_freezes_what_it_built_and_collects_the_young_less_often() -> None:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        with serve():
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
    finally:
        gc.set_threshold(*thresholds)


@run_async
async def test_admit_counts_and_stores_in_one_call(store: LinkStore) -> None:
    window, refused = await store.admit("k", 2, 60, 120.5, [stored_link("a", "x")], None)
    assert window is not None
    assert (window.count, window.resets_at, refused) == (1, 180, None)
    assert await store.get("a") == stored_link("a", "x")
    window, refused = await store.admit("k", 2, 60, 121, [stored_link("a")], None)
    assert window is not None
    assert (window.count, refused) == (2, InsertRefused(short_id_collision=True))
    window, refused = await store.admit("k", 2, 60, 122, [stored_link("b")], None)
    assert window is not None
    assert (window.exceeded, refused) == (True, None)
    assert await store.get("b") is None  # over the limit: counted, never stored
    uncounted, refused = await store.admit(None, 2, 60, 123, [stored_link("b", "x")], None)
    assert (uncounted, refused) == (None, InsertRefused(taken_external_ids=("x",)))
    assert (await store.peek("k", 2, 60, 123)).count == 3
    assert await store.count() == 1
