"""The documented behaviours the suite checks, and what the run observed about each."""

from __future__ import annotations

import enum
import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from contract_tests.errors import ContractError
from contract_tests.transport import Exchange


@dataclass(frozen=True)
class Behaviour:
    """One documented behaviour: its id, what it says, and where the documentation says it."""

    id: str
    title: str
    section: str
    strict_only: bool = False


CheckT = TypeVar("CheckT", bound=Callable[..., Any])
# Filled by `declare` and `checks`, next to the code that checks each behaviour.
_DECLARED: dict[str, Behaviour] = {}
# The modules that declare behaviours; importing the runner imports every one of them.
_DECLARING_MODULE = "contract_tests.runner"


class UnknownBehaviourError(ContractError, KeyError):
    """A behaviour id that no check declares."""

    def __init__(self, behaviour_id: str) -> None:
        self.behaviour_id = behaviour_id
        super().__init__(f"unknown behaviour {behaviour_id!r}: no check declares it")

    def __str__(self) -> str:
        return str(self.args[0])


def declare(behaviour_id: str, title: str, section: str, strict_only: bool = False) -> Behaviour:
    """Declare one behaviour, once, where it is checked; a second declaration is an error."""
    if behaviour_id in _DECLARED:
        raise ContractError(f"behaviour {behaviour_id!r} is declared twice")
    behaviour = Behaviour(behaviour_id, title, section, strict_only)
    _DECLARED[behaviour_id] = behaviour
    return behaviour


def checks(
    behaviour_id: str, title: str, section: str, strict_only: bool = False
) -> Callable[[CheckT], CheckT]:
    """Declare the behaviour the decorated check is about, next to the check itself."""
    declare(behaviour_id, title, section, strict_only)

    def mark(check: CheckT) -> CheckT:
        check.behaviour_id = behaviour_id  # type: ignore[attr-defined]
        return check

    return mark


class Catalogue(Mapping[str, Behaviour]):
    """Every declared behaviour, by id, in declaration order; an unknown id raises."""

    def _all(self) -> dict[str, Behaviour]:
        if _DECLARING_MODULE not in sys.modules:  # the proxy asks for each exchange it judges
            importlib.import_module(_DECLARING_MODULE)
        return _DECLARED

    def __getitem__(self, behaviour_id: str) -> Behaviour:
        """Return the behaviour, or raise UnknownBehaviourError (a KeyError)."""
        try:
            return self._all()[behaviour_id]
        except KeyError:
            raise UnknownBehaviourError(behaviour_id) from None

    def __iter__(self) -> Iterator[str]:
        """Iterate over the ids in declaration order."""
        return iter(list(self._all()))

    def __len__(self) -> int:
        """Return how many behaviours are declared."""
        return len(self._all())


BEHAVIOURS: Mapping[str, Behaviour] = Catalogue()


class Status(enum.StrEnum):
    """The verdict on one behaviour."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    NOT_OBSERVED = "not observed"


@dataclass(frozen=True)
class Finding:
    """One violation: what was sent, what came back, and what the contract says."""

    problem: str
    documented: str
    exchange: Exchange | None = None
    curl: str | None = None


@dataclass
class Observation:
    """What the run saw of one behaviour."""

    behaviour: Behaviour
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """Fail on any finding, pass when checked at least once, otherwise not observed."""
        if self.findings:
            return Status.FAIL
        return Status.PASS if self.checked else Status.NOT_OBSERVED


class Verdict:
    """The observations of one run, in catalogue order."""

    def __init__(self, strict: bool) -> None:
        self.observations = {
            key: Observation(behaviour)
            for key, behaviour in BEHAVIOURS.items()
            if strict or not behaviour.strict_only
        }

    def active(self, behaviour_id: str) -> bool:
        """Tell whether this run judges the behaviour; raise UnknownBehaviourError if none is."""
        return BEHAVIOURS[behaviour_id].id in self.observations

    def passed(self, behaviour_id: str) -> None:
        """Record one successful check of a behaviour (ignored for a strict one outside strict)."""
        if self.active(behaviour_id):
            self.observations[behaviour_id].checked += 1

    def failed(self, behaviour_id: str, finding: Finding) -> None:
        """Record a violation; repeats of the same problem are kept once."""
        if not self.active(behaviour_id):
            return
        observation = self.observations[behaviour_id]
        observation.checked += 1
        if all(known.problem != finding.problem for known in observation.findings):
            observation.findings.append(finding)

    def note(self, behaviour_id: str, text: str) -> None:
        """Attach a remark (for example why a behaviour was not observed)."""
        if self.active(behaviour_id):
            self.observations[behaviour_id].notes.append(text)

    def failing(self) -> list[str]:
        """Return the ids of every failing behaviour."""
        return [key for key, seen in self.observations.items() if seen.status is Status.FAIL]
