"""Interleaved rounds: every running target gets one load round and its large POSTs per round."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence

import openapi
from bench import BenchError, RequestError
from bench.batch import timed_batches
from bench.cpu import cpu_seconds
from bench.load import GeneratorName, LoadSettings, run_load
from bench.payloads import curl_line
from bench.servers import RunningServer
from bench.stats import median


@dataclasses.dataclass(frozen=True)
class Contestant:
    """A running target and whether its 201 lists every created link."""

    server: RunningServer
    echoes_links: bool

    @property
    def name(self) -> str:
        """Return the target's name."""
        return self.server.name


@dataclasses.dataclass(frozen=True)
class RoundPlan:
    """How much each round sends to each target."""

    generator: GeneratorName
    load: LoadSettings
    rounds: int
    batch_posts: int
    batch_size: int
    warmup_seconds: float


@dataclasses.dataclass
class Figures:
    """One target's figures, one entry per round; a failed target keeps only its failure."""

    name: str
    throughput: list[float] = dataclasses.field(default_factory=list)
    p50_ms: list[float] = dataclasses.field(default_factory=list)
    p99_ms: list[float] = dataclasses.field(default_factory=list)
    cpu_percent: list[float] = dataclasses.field(default_factory=list)
    """The server's CPU use during each 1-link load, 100 being one core busy all the time."""
    batch_ms: list[float] = dataclasses.field(default_factory=list)
    """The median large-POST time of each round."""
    batch_samples_ms: list[float] = dataclasses.field(default_factory=list)
    socket_errors: int = 0
    failure: str | None = None


def run_rounds(contestants: Sequence[Contestant], plan: RoundPlan) -> dict[str, Figures]:
    """Warm every target up, then run the rounds, rotating which target goes first."""
    figures = {contestant.name: Figures(contestant.name) for contestant in contestants}
    for contestant in contestants:
        try:
            _warm_up(contestant, plan)
        except BenchError as error:
            figures[contestant.name].failure = str(error)
    for round_index in range(plan.rounds):
        shift = round_index % max(1, len(contestants))
        for contestant in [*contestants[shift:], *contestants[:shift]]:
            entry = figures[contestant.name]
            if entry.failure is not None:
                continue
            try:
                _measure(contestant, plan, entry)
            except BenchError as error:
                entry.failure = str(error)
            _progress(round_index, plan.rounds, entry)
    return figures


def _warm_up(contestant: Contestant, plan: RoundPlan) -> None:
    warm = dataclasses.replace(plan.load, duration=plan.warmup_seconds)
    if plan.warmup_seconds > 0:
        run_load(plan.generator, contestant.server.base_url + openapi.LINKS_PATH, warm)
    timed_batches(contestant.name, contestant.server.base_url, 1, plan.batch_size, False)


def _measure(contestant: Contestant, plan: RoundPlan, entry: Figures) -> None:
    url = contestant.server.base_url + openapi.LINKS_PATH
    cpu_before, started = cpu_seconds(contestant.server.pid), time.perf_counter()
    result = run_load(plan.generator, url, plan.load)
    busy = (cpu_seconds(contestant.server.pid) - cpu_before) / (time.perf_counter() - started)
    if result.status_errors:
        body = plan.load.body_file.read_bytes()
        status = f"{result.status_errors} of {result.requests} answers were not 2xx".encode()
        raise RequestError(contestant.name, url, 0, status, curl_line(url, body))
    samples_ms = [
        seconds * 1000
        for seconds in timed_batches(
            contestant.name,
            contestant.server.base_url,
            plan.batch_posts,
            plan.batch_size,
            contestant.echoes_links,
        )
    ]
    entry.socket_errors += result.socket_errors
    entry.throughput.append(result.throughput)
    entry.p50_ms.append(result.p50_ms)
    entry.p99_ms.append(result.p99_ms)
    entry.cpu_percent.append(busy * 100)
    entry.batch_ms.append(median(samples_ms))
    entry.batch_samples_ms.extend(samples_ms)


def _progress(round_index: int, rounds: int, entry: Figures) -> None:
    prefix = f"  round {round_index + 1}/{rounds} {entry.name:<13}"
    if entry.failure is not None:
        print(f"{prefix} failed, left out of the next rounds", file=sys.stderr, flush=True)
        return
    print(
        f"{prefix} {entry.throughput[-1]:>9,.0f} req/s  p50 {entry.p50_ms[-1]:6.2f} ms"
        f"  p99 {entry.p99_ms[-1]:7.2f} ms  cpu {entry.cpu_percent[-1]:4.0f} %"
        f"  batch {entry.batch_ms[-1]:8.1f} ms",
        file=sys.stderr,
        flush=True,
    )
