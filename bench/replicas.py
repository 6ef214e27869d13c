"""The mock on Redis beside the mock in memory: one replica, then N replicas in aggregate."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import redis

from bench import ServerStartError
from bench.batch import timed_batches
from bench.load import GeneratorName, LoadResult, LoadSettings, run_load
from bench.servers import HOST, RunningServer, free_port, running, stop
from bench.stats import median, median_ratio
from bench.targets import mock_command
from mock_server.redis_store import SCRIPTS

REDIS_START_SECONDS: Final = 20.0
REQS_GOAL: Final = 0.5  # one replica on Redis: at least half the in-memory requests/s
BATCH_GOAL: Final = 3.0  # one replica on Redis: a large POST at most 3x the in-memory time


@dataclasses.dataclass
class Setup:
    """One measured setup: its name, the replicas serving it and what the rounds measured."""

    name: str
    servers: list[RunningServer]
    fsync: str | None
    """Redis's appendfsync policy for this setup; None for the in-memory mock."""
    throughput: list[float] = dataclasses.field(default_factory=list)
    p99_ms: list[float] = dataclasses.field(default_factory=list)
    batch_seconds: list[float] = dataclasses.field(default_factory=list)
    round_trips: list[float] = dataclasses.field(default_factory=list)
    commands: list[float] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Run a redis-server with AOF, as the README documents for durability; yield its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise ServerStartError("redis-server", ["redis-server"], "not on PATH", "")
    port = free_port()
    argv = [
        executable, "--port", str(port), "--bind", HOST, "--dir", str(directory), "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    client = redis.Redis(host=HOST, port=port, socket_timeout=5)
    try:
        deadline = time.monotonic() + REDIS_START_SECONDS
        while True:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerStartError("redis-server", argv, "did not answer PING", "")
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        client.close()
        stop(process)


# Redis counts the commands a script runs as calls too; those are not sent by a client.
INSIDE_SCRIPTS: Final = frozenset(
    f"cmdstat_{name.lower()}"
    for text in SCRIPTS.values()
    for name in re.findall(r"redis\.call\('(\w+)'", text)
)


@dataclasses.dataclass(frozen=True)
class Traffic:
    """What Redis has received so far: reads (arrivals of commands) and commands sent."""

    reads: int
    commands: int

    def since(self, before: Traffic) -> Traffic:
        """Return what arrived after ``before``, less the INFO that read this."""
        return Traffic(self.reads - before.reads - 1, self.commands - before.commands)


def traffic(client: redis.Redis) -> Traffic:
    """Return Redis's read count and client command count, read by one INFO on ``client``."""
    info = client.info("stats", "commandstats")
    skipped = INSIDE_SCRIPTS | {"cmdstat_info"}
    sent = sum(
        int(value["calls"])
        for name, value in info.items()
        if name.startswith("cmdstat_") and name not in skipped
    )
    return Traffic(int(info["total_reads_processed"]), sent)


def _load(
    generator: GeneratorName, setup: Setup, settings: LoadSettings
) -> tuple[float, float, int]:
    # Each replica gets its share of the connections, from a generator process of its own.
    share = dataclasses.replace(
        settings, connections=max(1, settings.connections // len(setup.servers))
    )
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(setup.servers)) as pool:
        results: list[LoadResult] = list(
            pool.map(lambda s: run_load(generator, s.base_url + "/api/links", share), setup.servers)
        )
    answered = sum(result.requests for result in results)
    return sum(r.throughput for r in results), max(r.p99_ms for r in results), answered


def measure_round(
    setup: Setup,
    generator: GeneratorName,
    settings: LoadSettings,
    client: redis.Redis,
    batch: tuple[int, int],
) -> None:
    """Measure one round of ``setup``: the 1-link load, then large POSTs on its first replica."""
    if setup.fsync:
        client.config_set("appendfsync", setup.fsync)
        before = traffic(client)
    throughput, p99, answered = _load(generator, setup, settings)
    if setup.fsync and answered:
        sent = traffic(client).since(before)
        setup.round_trips.append(sent.reads / answered)
        setup.commands.append(sent.commands / answered)
    setup.throughput.append(throughput)
    setup.p99_ms.append(p99)
    posts, size = batch
    first = setup.servers[0]
    setup.batch_seconds.extend(timed_batches(first.name, first.base_url, posts, size, True))


def compare(
    generator: GeneratorName,
    settings: LoadSettings,
    rounds: int,
    batch: tuple[int, int],
    replicas: int,
    scratch: Path,
) -> list[str]:
    """Run interleaved rounds of the three setups and return the report's lines."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(redis_server(scratch))
        client = stack.enter_context(
            contextlib.closing(redis.Redis.from_url(url, socket_timeout=30, decode_responses=True))
        )

        def start(name: str, *extra: str) -> RunningServer:
            return stack.enter_context(running(mock_command(name, *extra), scratch))

        memory = Setup("memory, 1 replica", [start("mock-memory")], None)
        first = start("mock-redis-1", "--state", url)
        single = Setup("Redis always, 1 replica", [first], "always")
        relaxed = Setup("Redis everysec, 1 replica", [first], "everysec")
        others = [start(f"mock-redis-{i}", "--state", url) for i in range(2, replicas + 1)]
        several = Setup(f"Redis always, {replicas} replicas", [first, *others], "always")
        setups = [memory, single, relaxed, several]
        for _ in range(rounds):
            for setup in setups:
                measure_round(setup, generator, settings, client, batch)
    return render(setups, memory, single, batch[1])


def render(setups: Sequence[Setup], memory: Setup, single: Setup, size: int) -> list[str]:
    """Return the table of medians and the two goals' verdicts."""
    lines = [
        f"| setup | 1-link req/s | p99 | {size:,}-link POST | Redis round trips "
        "per 1-link request | commands per 1-link request |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for setup in setups:
        trips = f"{median(setup.round_trips):.2f}" if setup.fsync else "-"
        commands = f"{median(setup.commands):.2f}" if setup.fsync else "-"
        lines.append(
            f"| {setup.name} | {median(setup.throughput):,.0f} | {median(setup.p99_ms):.1f} ms "
            f"| {median(setup.batch_seconds) * 1000:,.0f} ms | {trips} | {commands} |"
        )
    reqs = median_ratio(single.throughput, memory.throughput)
    posts = median(single.batch_seconds) / median(memory.batch_seconds)
    lines += [
        "",
        f"- one replica on Redis serves {reqs:.2f}x the in-memory 1-link req/s "
        f"(goal >= {REQS_GOAL:g}x): {'met' if reqs >= REQS_GOAL else 'NOT met'}",
        f"- its {size:,}-link POST takes {posts:.2f}x the in-memory time "
        f"(goal <= {BATCH_GOAL:g}x): {'met' if posts <= BATCH_GOAL else 'NOT met'}",
        "- goals judged on appendfsync always, the durable setting; everysec may lose the last "
        "second of 201s if the machine crashes",
        "- round trips: reads Redis processed during the 1-link load (INFO stats "
        "total_reads_processed), per answered request; commands: what clients sent (INFO "
        "commandstats less the commands inside the store's scripts); requests answered while a "
        "round trip is under way share the next one",
    ]
    return lines
