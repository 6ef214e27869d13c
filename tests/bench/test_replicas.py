"""Replicas on Redis beside the in-memory mock: Redis's counters, the verdicts, a real run."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
import redis

from bench.cli import parse_options
from bench.load import LoadSettings
from bench.payloads import API_KEY, one_link_body
from bench.replicas import Setup, Traffic, compare, redis_server, render, traffic
from mock_server.redis_store import RedisStore

pytestmark = pytest.mark.slow


def test_traffic_counts_what_clients_send_not_what_scripts_run(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url, contextlib.closing(redis.Redis.from_url(url)) as client:
        store = RedisStore(url)

        async def hits() -> tuple[Traffic, Traffic]:
            await store.hit("k", 10, 60, 0)  # loads the script first
            before = traffic(client)
            await store.hit("k", 10, 60, 0)
            one = traffic(client).since(before)
            before = traffic(client)
            await asyncio.gather(*(store.hit("k", 10, 60, 0) for _ in range(20)))
            many = traffic(client).since(before)
            await store.close()
            return one, many

        one, many = asyncio.run(hits())
        # One EVALSHA, though the script ran TIME, HGET, HINCRBY and PEXPIRE inside.
        assert (one.reads, one.commands) == (1, 1)
        # Twenty calls at once: twenty commands, sharing fewer round trips.
        assert many.commands == 20
        assert many.reads < 20


def setup(name: str, throughput: float, batch_seconds: float) -> Setup:
    """Return a setup that measured the given medians in one round."""
    return Setup(name, [], None, [throughput], [10.0], [batch_seconds])


def test_verdicts_compare_one_redis_replica_with_memory() -> None:
    memory = setup("memory", 1000, 0.1)
    fast = setup("fast", 600, 0.25)
    lines = render([memory, fast], memory, fast, 10_000)
    assert any("0.60x" in line and ": met" in line for line in lines)
    assert any("2.50x" in line and ": met" in line for line in lines)
    slow = setup("slow", 400, 0.35)
    lines = render([memory, slow], memory, slow, 10_000)
    assert sum("NOT met" in line for line in lines) == 2


def test_replicas_option_needs_two_or_more(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_options(["--replicas", "3"]).replicas == 3
    assert parse_options([]).replicas == 0
    with pytest.raises(SystemExit):
        parse_options(["--replicas", "1"])
    assert "--replicas" in capsys.readouterr().err


def test_compare_measures_every_setup_on_real_replicas(tmp_path: Path) -> None:
    body = tmp_path / "one-link.json"
    body.write_bytes(one_link_body())
    settings = LoadSettings(body, API_KEY, connections=4, duration=0.5, max_requests=2000)
    lines = compare("python", settings, 1, (1, 100), 2, tmp_path)
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows[1:]] == [
        "| memory, 1 replica",
        "| Redis always, 1 replica",
        "| Redis everysec, 1 replica",
        "| Redis always, 2 replicas",
    ]
    for row in rows[2:]:
        trips, commands = (float(cell) for cell in row.strip(" |").split(" | ")[-2:])
        assert 0 < trips <= commands  # a round trip carries one command or more
