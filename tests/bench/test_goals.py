"""Goals are judged on same-round ratios, and missing figures are n/a, never a pass."""

from __future__ import annotations

from bench.contract import ContractRun
from bench.goals import judge
from bench.rounds import Figures


def figures(name: str, throughput: list[float], batch_ms: list[float]) -> Figures:
    rounds = len(throughput)
    return Figures(
        name,
        throughput=throughput,
        p50_ms=[1.0] * rounds,
        p99_ms=[2.0] * rounds,
        cpu_percent=[100.0] * rounds,
        batch_ms=batch_ms,
        batch_samples_ms=batch_ms,
    )


def verdicts_by_goal(**kwargs: Figures) -> dict[str, str]:
    run = ContractRun(seconds=75.0, exit_code=0, output_tail="")
    return {v.goal: v.label for v in judge(kwargs, "not measured (--stored-links 0)", run)}


def test_ratios_against_ceiling_and_prism() -> None:
    # Mock over Prism is 2.8, 2.6 and 3.0 round by round: a median of 2.8 misses the 3x goal.
    verdicts = verdicts_by_goal(
        mock=figures("mock", [700.0, 650.0, 900.0], [80.0, 90.0, 70.0]),
        ceiling=figures("ceiling", [1000.0, 1000.0, 1000.0], [20.0, 20.0, 20.0]),
        prism=figures("prism", [250.0, 250.0, 300.0], [200.0, 300.0, 250.0]),
    )
    assert verdicts["1-link req/s >= 0.6x ceiling"] == "PASS"
    assert verdicts["1-link req/s >= 3x Prism"] == "FAIL"
    assert verdicts["10k-link POST <= 4x ceiling's time"] == "PASS"
    assert verdicts["10k-link POST <= 1/3 of Prism's time"] == "PASS"
    assert verdicts["1-link req/s / Prism with logging silenced (information)"] == "info"
    assert verdicts["<= 1 KB peak RSS per stored link"] == "n/a"
    assert verdicts["hoko-contract run <= 60 s"] == "FAIL"


def test_a_failed_target_is_not_judged() -> None:
    failed = Figures("ceiling", failure="did not start")
    verdicts = verdicts_by_goal(mock=figures("mock", [1.0] * 3, [1.0] * 3), ceiling=failed)
    assert verdicts["1-link req/s >= 0.6x ceiling"] == "n/a"


def test_silenced_prism_is_printed_for_information_never_judged() -> None:
    run = ContractRun(seconds=10.0, exit_code=0, output_tail="")
    measured = {
        "mock": figures("mock", [900.0] * 3, [80.0] * 3),
        "prism-silent": figures("prism-silent", [600.0] * 3, [100.0] * 3),
    }
    shown = {v.goal: (v.measured, v.label) for v in judge(measured, "n/a", run)}
    assert shown["1-link req/s / Prism with logging silenced (information)"] == ("1.50x", "info")
    assert shown["10k-link POST time / Prism's with logging silenced (information)"] == (
        "0.80x",
        "info",
    )
    assert shown["1-link req/s >= 3x Prism"][1] == "n/a"
