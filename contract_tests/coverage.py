"""What a run exercised: each documented status seen or not, and the matrix cell by cell."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class CellOutcome(enum.StrEnum):
    """The verdict on one matrix cell."""

    REJECTED_OK = "rejected-ok"
    ACCEPTED_OK = "accepted-ok"
    FAILED = "failed"
    NOT_RUN = "not run"


@dataclass
class Coverage:
    """The statuses that came back and the outcome of every matrix cell, by cell name."""

    statuses: Counter[int] = field(default_factory=Counter)
    cells: dict[str, CellOutcome] = field(default_factory=dict)

    def plan(self, name: str) -> None:
        """List a cell as part of the matrix before it runs."""
        self.cells.setdefault(name, CellOutcome.NOT_RUN)

    def settle(self, name: str, outcome: CellOutcome) -> None:
        """Record a cell's outcome; a failure is never overwritten by a later success."""
        if self.cells.get(name) is not CellOutcome.FAILED:
            self.cells[name] = outcome

    def totals(self) -> dict[CellOutcome, int]:
        """Return how many cells ended in each outcome."""
        counted = Counter(self.cells.values())
        return {outcome: counted[outcome] for outcome in CellOutcome}
