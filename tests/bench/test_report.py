"""The printed report: one row per target, ratios to the ceiling, skipped targets with why."""

from __future__ import annotations

from bench.goals import judge
from bench.memory import MemoryStatus
from bench.report import Outcome, render
from bench.rounds import Figures
from bench.storage import StorageFigures
from bench.targets import Unavailable


def test_render_shows_medians_ratios_memory_and_skips() -> None:
    mock = Figures(
        "mock",
        throughput=[600.0, 700.0, 800.0],
        p50_ms=[2.0, 3.0, 4.0],
        p99_ms=[9.0, 10.0, 11.0],
        cpu_percent=[90.0, 95.0, 99.0],
        batch_ms=[40.0, 50.0, 60.0],
        batch_samples_ms=[40.0, 50.0, 60.0],
    )
    ceiling = Figures(
        "ceiling",
        throughput=[1000.0] * 3,
        p50_ms=[1.0] * 3,
        p99_ms=[5.0] * 3,
        cpu_percent=[100.0] * 3,
        batch_ms=[20.0] * 3,
        batch_samples_ms=[20.0] * 3,
    )
    storage = StorageFigures(
        links=1000,
        before=MemoryStatus(100_000, 50_000),
        after=MemoryStatus(650_000, 600_000),
        seconds=1.5,
    )
    figures = {"mock": mock, "ceiling": ceiling}
    outcome = Outcome(
        "header",
        10_000,
        figures,
        [Unavailable("prism", "skipped: node not on PATH")],
        storage,
        "not available",
        judge(figures, storage, "not available"),
    )
    text = render(outcome)
    assert "| mock | 700 | 3.00 | 10.0 | 95 % | 50.0 | 0.70x | 2.50x |" in text
    assert "| prism | skipped: node not on PATH |" in text
    assert "600 B per link at peak, 550 B resident" in text
    assert "| <= 1 KB peak RSS per stored link | 600 B | PASS |" in text
    assert "| p99 ms, round by round | round 1 | round 2 | round 3 |" in text
    assert "| mock | 9.00 | 10.0 | 11.0 |" in text
    assert "| ceiling | 5.00 | 5.00 | 5.00 |" in text
    assert (
        "| p99 <= 2x ceiling's p99 in every round | worst 2.20x (1.80x, 2.00x, 2.20x) | FAIL |"
        in text
    )
