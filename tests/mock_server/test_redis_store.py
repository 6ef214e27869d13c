"""``--state redis://``: one workspace in one Redis slot, Redis's clock, 503 while Redis is lost."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.cluster import key_slot

from mock_server.errors import ConfigError, StoreUnavailableError
from mock_server.redis_store import RedisStore
from mock_server.store import StoredLink
from tests.mock_server.conftest import FULL, link, serve
from tests.mock_server.redis_server import RedisServer, free_port, running_redis

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own."""
    with running_redis(tmp_path / "redis") as running:
        yield running


def stored_link(short_id: str, external_id: str | None = None) -> StoredLink:
    """Return a stored link with just enough to test the store."""
    return StoredLink(short_id, "550e8400-e29b-41d4-a716-446655440000", external_id, b"{}")


def test_unreachable_redis_is_a_config_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(ConfigError, match=r"^state: cannot use redis redis://127\.0\.0\.1:\d+/0: "):
        RedisStore(url)


def test_password_is_never_shown() -> None:
    url = f"redis://user:secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(ConfigError) as raised:
        RedisStore(url)
    assert "secret" not in str(raised.value)
    assert "user:***@127.0.0.1" in str(raised.value)


def test_skewed_replica_clocks_count_in_one_window_of_redis_time(server: RedisServer) -> None:
    async def scenario() -> None:
        ahead, behind = RedisStore(server.url, "skew"), RedisStore(server.url, "skew")
        # The replicas' own clocks, half a window apart either way; Redis's clock decides.
        now = time.time()
        first = await ahead.hit("k", 2, 3600, now + 1800)
        second = await behind.hit("k", 2, 3600, now - 1800)
        third = await ahead.hit("k", 2, 3600, now + 1800)
        assert [first.count, second.count, third.count] == [1, 2, 3]
        assert third.exceeded
        assert first.resets_at == second.resets_at
        redis_now = float(server.client().time()[0])
        assert first.resets_at - 3600 <= redis_now < first.resets_at
        assert (await behind.peek("k", 2, 3600, 0)).count == 3
        ttl = server.client().pttl("{skew}:window:k")
        assert 0 < ttl <= (first.resets_at - redis_now + 1) * 1000
        await ahead.close()
        await behind.close()

    asyncio.run(scenario())


def test_a_batch_repeating_an_external_id_stores_nothing(server: RedisServer) -> None:
    async def scenario() -> None:
        store = RedisStore(server.url, "repeat")
        refused = await store.insert([stored_link("a", "x"), stored_link("b", "x")], None)
        assert refused is not None
        assert refused.taken_external_ids == ("x",)
        assert await store.count() == 0
        collided = await store.insert([stored_link("c"), stored_link("c")], None)
        assert collided is not None
        assert collided.short_id_collision
        assert await store.count() == 0
        await store.close()

    asyncio.run(scenario())


def test_every_key_of_a_workspace_is_in_one_cluster_slot(server: RedisServer) -> None:
    async def scenario() -> None:
        for prefix in ("team-a", "team-b"):
            store = RedisStore(server.url, prefix)
            await store.hit("k", 5, 60, 0)
            await store.insert([stored_link(f"{prefix}-1", "x")], None)
            await store.record({"n": 1})
            assert [link.short_id for link in await store.find(None, None)] == [f"{prefix}-1"]
            await store.close()

    asyncio.run(scenario())
    keys = [key.decode() for key in server.client().keys("*")]
    for prefix in ("team-a", "team-b"):
        mine = [key for key in keys if key.startswith("{" + prefix + "}:")]
        assert len(mine) == 5  # links, externalIds, order, journal, one window
        assert len({key_slot(key.encode()) for key in mine}) == 1
    assert len(keys) == 10


def test_scripts_run_by_evalsha_and_survive_a_script_flush(server: RedisServer) -> None:
    async def scenario() -> None:
        store = RedisStore(server.url, "sha")
        await store.hit("k", 5, 60, 0)
        server.client().script_flush()
        assert (await store.hit("k", 5, 60, 0)).count == 2
        await store.close()

    asyncio.run(scenario())
    stats = server.client().info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] >= 2
    assert "cmdstat_eval" not in stats


def test_lost_redis_raises_store_unavailable_then_recovers(server: RedisServer) -> None:
    async def scenario() -> None:
        store = RedisStore(server.url, "lost")
        await store.insert([stored_link("a")], None)
        server.kill()
        with pytest.raises(StoreUnavailableError, match=r"state store redis redis://127\.0\.0\.1"):
            await store.count()
        server.start()
        assert await store.count() == 0  # no persistence in this server: it came back empty
        await store.close()

    asyncio.run(scenario())


def test_replicas_on_one_redis_answer_as_one(server: RedisServer) -> None:
    options = {"state": server.url, "rate-limit": 3, "rate-window": 3600}
    with (
        serve(**options) as first,
        serve(**options) as second,
        first.client() as one,
        second.client() as other,
    ):
        created = one.post("/api/links", headers=FULL, json=[link(externalId="shared")])
        assert created.status_code == 201
        again = other.post("/api/links", headers=FULL, json=[link(externalId="shared")])
        assert again.json()["issues"][0]["rule"] == "externalIdUniqueInWorkspace"
        found = other.get("/__mock/links", params={"externalId": "shared"}).json()
        assert found["links"] == created.json()
        assert other.post("/api/links", headers=FULL, json=[link()]).status_code == 201
        limited = one.post("/api/links", headers=FULL, json=[link()])
        assert limited.status_code == 429
        journal = one.get("/__mock/journal").json()["entries"]
        assert [entry["status"] for entry in journal] == [201, 400, 201, 429]
        assert other.post("/__mock/reset").json() == {"reset": True, "links": 0}
        assert one.get("/__mock/journal").json()["count"] == 0
        assert one.post("/api/links", headers=FULL, json=[link()]).status_code == 201


def assert_unavailable(response: httpx.Response, server: RedisServer) -> None:
    """Assert a JSON 503 in the mock's error shape, naming the Redis store."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["error"] == {"en": "Service unavailable", "ar": "الخدمة غير متاحة"}
    assert body["store"] == f"redis {server.url}"
    assert "Traceback" not in response.text


def test_lost_redis_answers_a_json_503_and_the_mock_recovers(
    server: RedisServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with serve(state=server.url, **{"rate-limit": 1000}) as live, live.client() as client:
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
        server.kill()
        assert_unavailable(client.post("/api/links", headers=FULL, json=[link()]), server)
        browser = {**FULL, "Origin": "http://localhost:5173"}
        assert_unavailable(client.post("/api/links", headers=browser, json=[link()]), server)
        for path in ("/__mock/links", "/__mock/journal", "/__mock/health"):
            assert_unavailable(client.get(path), server)
        assert_unavailable(client.post("/__mock/reset"), server)
        server.start()
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
        assert live.count() == 1
        # The journal kept what it saw while Redis was away and delivered it once back.
        statuses = [entry["status"] for entry in client.get("/__mock/journal").json()["entries"]]
        assert statuses[-3:] == [503, 503, 201]
    assert "Traceback" not in capfd.readouterr().err


def test_a_frozen_redis_answers_503_within_the_socket_timeout(server: RedisServer) -> None:
    with serve(state=server.url, **{"rate-limit": 1000}) as live:
        assert server.process is not None
        server.process.send_signal(signal.SIGSTOP)
        try:
            with httpx.Client(base_url=live.base_url, timeout=30) as client:
                assert_unavailable(client.post("/api/links", headers=FULL, json=[link()]), server)
        finally:
            server.process.send_signal(signal.SIGCONT)
        with live.client() as client:
            assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201


def test_redis_state_is_configured_from_env_and_file_too() -> None:
    from mock_server import config as config_module

    layers = config_module.from_env(
        {"HOKO_MOCK_STATE": "rediss://h:6380/2", "HOKO_MOCK_STATE_PREFIX": "ci"}
    )
    built = config_module.build(*layers)
    assert (built.state, built.state_prefix) == ("rediss://h:6380/2", "ci")
    from_file = config_module.build(("mock.toml", {"state": "unix:///run/redis.sock"}))
    assert from_file.state == "unix:///run/redis.sock"
    for bad, problem in (
        ({"state": "http://h/"}, "must be a SQLite file path or a redis://"),
        ({"state": "redis:///0"}, "names no host"),
        ({"state-prefix": "a{b}"}, "state-prefix: must be 1-64"),
    ):
        with pytest.raises(ConfigError, match=problem):
            config_module.build(("mock.toml", bad))


def test_concurrent_calls_share_round_trips(server: RedisServer) -> None:
    async def scenario() -> list[int]:
        store = RedisStore(server.url, "shared")
        await store.hit("k", 1000, 3600, 0)  # connects and loads the script first
        before = server.client().info("stats")["total_reads_processed"]
        windows = await asyncio.gather(*(store.hit("k", 1000, 3600, 0) for _ in range(50)))
        # Each read Redis processes is one arrival of commands, the INFO below included.
        reads = server.client().info("stats")["total_reads_processed"] - before - 1
        await store.close()
        assert reads < 50, f"{reads} round trips for 50 concurrent calls"
        return [window.count for window in windows]

    counts = asyncio.run(scenario())
    assert sorted(counts) == list(range(2, 52))
