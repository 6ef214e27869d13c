"""The speed and memory goals of the mock, judged on figures measured in the same run."""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Mapping
from typing import Final

from bench.contract import ContractRun
from bench.rounds import Figures
from bench.stats import median_ratio, ratio
from bench.storage import StorageFigures

MAX_BYTES_PER_LINK: Final = 1024
MAX_CONTRACT_SECONDS: Final = 60.0


def _throughput(entry: Figures) -> list[float]:
    return entry.throughput


def _batch(entry: Figures) -> list[float]:
    return entry.batch_ms


def _p99(entry: Figures) -> list[float]:
    return entry.p99_ms


@dataclasses.dataclass(frozen=True)
class RatioGoal:
    """A bound on one target's figure over another's, both measured in the same rounds."""

    text: str
    subject: str
    other: str
    field: Callable[[Figures], list[float]]
    bound: float
    holds: Callable[[float, float], bool]
    every_round: bool = False
    """Held round by round, the worst round deciding, rather than by the median ratio."""


RATIO_GOALS: Final = (
    RatioGoal("1-link req/s >= 0.8x ceiling", "mock", "ceiling", _throughput, 0.8, operator.ge),
    RatioGoal("1-link req/s >= 3x Prism", "mock", "prism", _throughput, 3.0, operator.ge),
    RatioGoal(
        "p99 <= 2x ceiling's p99 in every round",
        "mock",
        "ceiling",
        _p99,
        2.0,
        operator.le,
        every_round=True,
    ),
    RatioGoal("10k-link POST <= 3x ceiling's time", "mock", "ceiling", _batch, 3.0, operator.le),
    RatioGoal("10k-link POST <= 1/3 of Prism's time", "mock", "prism", _batch, 1 / 3, operator.le),
    RatioGoal(
        "--state: 1-link req/s >= 0.5x in-memory",
        "mock-state",
        "mock",
        _throughput,
        0.5,
        operator.ge,
    ),
    RatioGoal(
        "--state: 10k-link POST <= 2x in-memory's time",
        "mock-state",
        "mock",
        _batch,
        2.0,
        operator.le,
    ),
)

# The goals compare with Prism as it runs by default, logging every request; beside the
# silenced Prism the same ratios are printed for information, never judged.
SILENCED: Final = "prism-silent"
INFORMATION: Final = (
    ("1-link req/s / Prism with logging silenced (information)", _throughput),
    ("10k-link POST time / Prism's with logging silenced (information)", _batch),
)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One goal, what was measured for it, and whether it holds (None: could not be judged)."""

    goal: str
    measured: str
    passed: bool | None
    informational: bool = False

    @property
    def label(self) -> str:
        """Return PASS, FAIL or n/a; a figure printed for information only says info."""
        if self.informational:
            return "info"
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]


def same_round_ratio(
    figures: Mapping[str, Figures],
    numerator: str,
    denominator: str,
    field: Callable[[Figures], list[float]],
) -> float:
    """Return the median over rounds of ``numerator``'s figure over ``denominator``'s."""
    top, bottom = figures.get(numerator), figures.get(denominator)
    if top is None or bottom is None or top.failure or bottom.failure:
        return math.nan
    return median_ratio(field(top), field(bottom))


def judge(
    figures: Mapping[str, Figures], storage: StorageFigures | str, contract: ContractRun | str
) -> list[Verdict]:
    """Return every goal's verdict for the in-memory mock."""
    verdicts = [_ratio_goal(goal, figures) for goal in RATIO_GOALS]
    information = [_information(text, figures, field) for text, field in INFORMATION]
    return [*verdicts, _memory_goal(storage), _contract_goal(contract), *information]


def _information(
    text: str, figures: Mapping[str, Figures], field: Callable[[Figures], list[float]]
) -> Verdict:
    value = same_round_ratio(figures, "mock", SILENCED, field)
    measured = f"{SILENCED} not measured" if math.isnan(value) else f"{value:.2f}x"
    return Verdict(text, measured, None, informational=True)


def _memory_goal(storage: StorageFigures | str) -> Verdict:
    goal = "<= 1 KB peak RSS per stored link"
    if isinstance(storage, str):
        return Verdict(goal, storage, None)
    per_link = storage.peak_bytes_per_link
    return Verdict(goal, f"{per_link:,.0f} B", per_link <= MAX_BYTES_PER_LINK)


def _contract_goal(contract: ContractRun | str) -> Verdict:
    goal = "hoko-contract run <= 60 s"
    if isinstance(contract, str):
        return Verdict(goal, contract, None)
    # A run that could not reach the mock (exit 2) or was killed is no full run, however fast.
    finished = contract.exit_code in (0, 1)
    measured = f"{contract.seconds:.1f} s ({contract.verdict})"
    return Verdict(goal, measured, finished and contract.seconds <= MAX_CONTRACT_SECONDS)


def _ratio_goal(goal: RatioGoal, figures: Mapping[str, Figures]) -> Verdict:
    for name in (goal.subject, goal.other):
        if name not in figures or figures[name].failure:
            return Verdict(goal.text, f"{name} not measured", None)
    if not goal.every_round:
        value = same_round_ratio(figures, goal.subject, goal.other, goal.field)
        if math.isnan(value):
            return Verdict(goal.text, f"{goal.other} not measured", None)
        return Verdict(goal.text, f"{value:.2f}x", goal.holds(value, goal.bound))
    pairs = zip(goal.field(figures[goal.subject]), goal.field(figures[goal.other]), strict=True)
    ratios = [ratio(top, bottom) for top, bottom in pairs]
    if not ratios or any(math.isnan(value) for value in ratios):
        return Verdict(goal.text, "a round not measured", None)
    rounds = ", ".join(f"{value:.2f}x" for value in ratios)
    passed = all(goal.holds(value, goal.bound) for value in ratios)
    return Verdict(goal.text, f"worst {max(ratios):.2f}x ({rounds})", passed)
