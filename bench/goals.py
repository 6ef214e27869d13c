"""The speed and memory goals of the mock, judged on figures measured in the same run."""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Mapping
from typing import Final

from bench.contract import ContractRun
from bench.rounds import Figures
from bench.stats import median_ratio
from bench.storage import StorageFigures

MAX_BYTES_PER_LINK: Final = 1024
MAX_CONTRACT_SECONDS: Final = 60.0


def _throughput(entry: Figures) -> list[float]:
    return entry.throughput


def _batch(entry: Figures) -> list[float]:
    return entry.batch_ms


RatioGoal = tuple[str, str, Callable[[Figures], list[float]], float, Callable[[float, float], bool]]
RATIO_GOALS: Final[tuple[RatioGoal, ...]] = (
    ("1-link req/s >= 0.6x ceiling", "ceiling", _throughput, 0.6, operator.ge),
    ("1-link req/s >= 3x Prism", "prism", _throughput, 3.0, operator.ge),
    ("10k-link POST <= 4x ceiling's time", "ceiling", _batch, 4.0, operator.le),
    ("10k-link POST <= 1/3 of Prism's time", "prism", _batch, 1 / 3, operator.le),
)
"""Goal, the target the mock is compared with, the figure, the bound, how the ratio must hold."""

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
    verdicts = [
        _ratio_goal(goal, figures, other, field, bound, holds)
        for goal, other, field, bound, holds in RATIO_GOALS
    ]
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


def _ratio_goal(
    goal: str,
    figures: Mapping[str, Figures],
    other: str,
    field: Callable[[Figures], list[float]],
    bound: float,
    holds: Callable[[float, float], bool],
) -> Verdict:
    value = same_round_ratio(figures, "mock", other, field)
    if math.isnan(value):
        missing = next(
            (name for name in ("mock", other) if name not in figures or figures[name].failure),
            other,
        )
        return Verdict(goal, f"{missing} not measured", None)
    return Verdict(goal, f"{value:.2f}x", holds(value, bound))
