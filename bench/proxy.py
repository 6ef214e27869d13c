"""The overhead of ``hoko-contract proxy``: the mock direct and through the proxy, same rounds."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from bench.goals import Verdict, same_round_ratio
from bench.rounds import Contestant, Figures, RoundPlan, run_rounds
from bench.servers import HOST, ServerCommand, running
from bench.stats import median
from bench.targets import mock_command, script_path

DIRECT, PROXIED = "direct", "proxy"
Field = Callable[[Figures], list[float]]


def _p50(entry: Figures) -> list[float]:
    return entry.p50_ms


def _throughput(entry: Figures) -> list[float]:
    return entry.throughput


def _batch(entry: Figures) -> list[float]:
    return entry.batch_ms


GOALS: Final[tuple[tuple[str, Field, float, Callable[[float, float], bool]], ...]] = (
    ("1-link p50 through the proxy <= 2x direct", _p50, 2.0, operator.le),
    ("1-link req/s through the proxy >= 0.5x direct", _throughput, 0.5, operator.ge),
    ("10k-link POST through the proxy <= 2x direct", _batch, 2.0, operator.le),
)
"""Goal, the figure, the bound on the proxied/direct ratio, how the ratio must hold."""


def proxy_command(upstream: str) -> ServerCommand:
    """Return how to start ``hoko-contract proxy`` in front of ``upstream`` on a port."""
    executable = str(script_path("hoko-contract") or "hoko-contract")

    def argv(port: int) -> list[str]:
        return [
            executable, "proxy", "--upstream", upstream, "--host", HOST, "--port", str(port),
            "--quiet",
        ]  # fmt: skip

    return ServerCommand(PROXIED, argv, ready_path="/__proxy/health")


def measure_overhead(plan: RoundPlan, scratch: Path) -> dict[str, Figures]:
    """Run the rounds over one mock, reached directly and through a proxy in front of it."""
    with (
        running(mock_command(DIRECT), scratch) as mock,
        running(proxy_command(mock.base_url), scratch) as proxy,
    ):
        return run_rounds([Contestant(mock, echoes_links=True), Contestant(proxy, True)], plan)


def judge_overhead(figures: Mapping[str, Figures]) -> list[Verdict]:
    """Return the verdict of each overhead goal, from same-round ratios."""
    verdicts = []
    for goal, field, bound, holds in GOALS:
        value = same_round_ratio(figures, PROXIED, DIRECT, field)
        if math.isnan(value):
            verdicts.append(Verdict(goal, "not measured", None))
        else:
            verdicts.append(Verdict(goal, f"{value:.2f}x", holds(value, bound)))
    return verdicts


def render_overhead(header: str, batch_size: int, figures: Mapping[str, Figures]) -> str:
    """Return the overhead report: one row per way in, then the goals."""
    size = f"{batch_size:,}"
    lines = [
        header,
        "",
        f"| way in | 1-link req/s | p50 ms | p99 ms | its CPU | {size}-link POST ms "
        f"| req/s / direct | p50 / direct | {size}-link time / direct |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in figures.items():
        if entry.failure:
            lines.append(f"| {name} | failed: {entry.failure} | | | | | | | |")
            continue
        ratios = [same_round_ratio(figures, name, DIRECT, field) for field in (_throughput, _p50)]
        ratios.append(same_round_ratio(figures, name, DIRECT, _batch))
        lines.append(
            f"| {name} | {median(entry.throughput):,.0f} | {median(entry.p50_ms):.2f} "
            f"| {median(entry.p99_ms):.2f} | {median(entry.cpu_percent):.0f} % "
            f"| {median(entry.batch_samples_ms):,.1f} | "
            + " | ".join("-" if math.isnan(r) else f"{r:.2f}x" for r in ratios)
            + " |"
        )
    lines += ["", "| goal (hoko-contract proxy) | measured | verdict |", "| --- | ---: | --- |"]
    lines += [f"| {v.goal} | {v.measured} | {v.label} |" for v in judge_overhead(figures)]
    return "\n".join(lines)
