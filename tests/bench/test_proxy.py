"""The proxy's overhead report: same-round ratios to the direct mock, judged against the goals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import parse_options
from bench.load import LoadSettings
from bench.payloads import API_KEY, one_link_body
from bench.proxy import DIRECT, PROXIED, judge_overhead, measure_overhead, render_overhead
from bench.rounds import Figures, RoundPlan


def figures(direct: list[float], proxied: list[float]) -> dict[str, Figures]:
    """Return figures where every measured value of a way in is the same list."""

    def entry(name: str, values: list[float]) -> Figures:
        return Figures(name, values, values, values, values, values, values)

    return {DIRECT: entry(DIRECT, direct), PROXIED: entry(PROXIED, proxied)}


def test_goals_use_same_round_ratios() -> None:
    # p50 and 10k time: 1.5x (within 2x); req/s: 1.5x too, which passes ">= 0.5x".
    verdicts = judge_overhead(figures([10.0, 20.0, 40.0], [15.0, 30.0, 60.0]))
    assert [(v.measured, v.label) for v in verdicts] == [
        ("1.50x", "PASS"),
        ("1.50x", "PASS"),
        ("1.50x", "PASS"),
    ]


def test_slow_proxy_fails_every_goal() -> None:
    measured = figures([100.0, 100.0, 100.0], [300.0, 300.0, 300.0])
    measured[PROXIED].throughput = [10.0, 10.0, 10.0]
    assert [v.label for v in judge_overhead(measured)] == ["FAIL", "FAIL", "FAIL"]


def test_failed_way_in_is_not_judged_and_is_shown() -> None:
    measured = figures([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    measured[PROXIED] = Figures(PROXIED, failure="exited with code 2")
    assert {v.label for v in judge_overhead(measured)} == {"n/a"}
    assert "| proxy | failed: exited with code 2 |" in render_overhead("header", 10, measured)


def test_proxy_option_is_parsed() -> None:
    assert parse_options(["--proxy", "--quick"]).proxy is True
    assert parse_options([]).proxy is False


@pytest.mark.slow
def test_overhead_rounds_measure_both_ways_in(tmp_path: Path) -> None:
    body_file = tmp_path / "one-link.json"
    body_file.write_bytes(one_link_body())
    load = LoadSettings(body_file, API_KEY, connections=2, duration=0.2, max_requests=200)
    plan = RoundPlan("python", load, rounds=3, batch_posts=2, batch_size=20, warmup_seconds=0)
    measured = measure_overhead(plan, tmp_path)
    assert [measured[name].failure for name in (DIRECT, PROXIED)] == [None, None]
    assert len(measured[PROXIED].throughput) == 3
    assert len(measured[PROXIED].batch_samples_ms) == 6
    text = render_overhead("header", 20, measured)
    assert "| 20-link time / direct |" in text
    assert "| direct |" in text
    assert "| proxy |" in text
