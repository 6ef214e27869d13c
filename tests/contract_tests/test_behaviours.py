"""One registry: every behaviour is declared once, next to its check, and unknown ids raise."""

from __future__ import annotations

import pytest

from contract_tests import runner
from contract_tests.behaviours import BEHAVIOURS, Finding, UnknownBehaviourError, Verdict, declare
from contract_tests.errors import ContractError
from contract_tests.settings import RunSettings


def test_an_unknown_behaviour_id_is_an_error() -> None:
    verdict = Verdict(strict=False)
    with pytest.raises(UnknownBehaviourError, match=r"no-such\.behaviour"):
        verdict.passed("no-such.behaviour")
    with pytest.raises(UnknownBehaviourError):
        verdict.failed("no-such.behaviour", Finding("x", "y"))
    with pytest.raises(UnknownBehaviourError):
        verdict.note("no-such.behaviour", "text")
    with pytest.raises(KeyError):
        BEHAVIOURS["no-such.behaviour"]


def test_a_strict_behaviour_outside_strict_is_known_but_not_judged() -> None:
    verdict = Verdict(strict=False)
    verdict.passed("strict.past-expiry")
    assert "strict.past-expiry" not in verdict.observations


def test_a_behaviour_is_declared_once() -> None:
    with pytest.raises(ContractError, match="declared twice"):
        declare("auth.missing-header", "again", "nowhere")


def test_every_check_of_a_run_names_a_declared_behaviour() -> None:
    settings = RunSettings(
        base_url="http://127.0.0.1:9", api_key="k", no_scope_key="n",
        collection_id="550e8400-e29b-41d4-a716-446655440000", strict=True,
    )  # fmt: skip
    ordered = runner.checks_for(settings)
    named = [getattr(check, "behaviour_id", None) for check in ordered]
    assert [check.__name__ for check in ordered if not hasattr(check, "behaviour_id")] == [
        "check_with_schemathesis"
    ]
    assert all(BEHAVIOURS[name].id == name for name in named if name is not None)
