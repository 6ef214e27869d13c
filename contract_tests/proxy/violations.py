"""The violations the proxy found: each one ready to log, to list as JSON and to count."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule in one exchange: what, sent, received, documented, and how to reproduce."""

    behaviour: str
    title: str
    section: str
    what: str
    sent: str
    received: str
    documented: str
    reproduce: str
    text: str  # the whole block as the suite's report prints a failure
    exchange: int = 0
    at: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Return the violation as a JSON object."""
        return {
            "exchange": self.exchange,
            "at": self.at,
            "behaviour": self.behaviour,
            "title": self.title,
            "section": self.section,
            "what": self.what,
            "sent": self.sent,
            "received": self.received,
            "documented": self.documented,
            "reproduce": self.reproduce,
        }


def header_value(found: list[Violation]) -> str:
    """Return the Hoko-Contract-Violations value: the count, then the behaviour ids."""
    ids = sorted({violation.behaviour for violation in found})
    return f"{len(found)}; {', '.join(ids)}"


class ViolationLog:
    """The latest violations, newest first, at most ``keep`` of them, and the count of all."""

    def __init__(self, keep: int) -> None:
        self.kept: collections.deque[Violation] = collections.deque(maxlen=keep)
        self.total = 0
        self.lock = threading.Lock()

    def add(self, found: list[Violation]) -> None:
        """Remember ``found``, forgetting the oldest beyond the bound."""
        with self.lock:
            self.kept.extendleft(found)
            self.total += len(found)

    def newest(self, limit: int | None = None) -> list[Violation]:
        """Return up to ``limit`` violations, newest first."""
        with self.lock:
            kept = list(self.kept)
        return kept if limit is None else kept[:limit]

    def listing(self, limit: int | None = None) -> dict[str, Any]:
        """Return what ``GET /__proxy/violations`` answers."""
        shown = self.newest(limit)
        return {
            "total": self.total,
            "kept": len(self.kept),
            "shown": len(shown),
            "violations": [violation.as_json() for violation in shown],
        }
