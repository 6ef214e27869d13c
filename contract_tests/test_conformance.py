"""One test per documented behaviour: ``pytest --pyargs contract_tests --hoko-base-url ...``."""

from __future__ import annotations

import pytest

from contract_tests.behaviours import BEHAVIOURS, Status
from contract_tests.report import failure_text
from contract_tests.runner import RunResult


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the behaviours of this run (strict ones only with --hoko-strict)."""
    if "behaviour_id" in metafunc.fixturenames:
        strict = bool(metafunc.config.getoption("--hoko-strict"))
        ids = [key for key, behaviour in BEHAVIOURS.items() if strict or not behaviour.strict_only]
        metafunc.parametrize("behaviour_id", ids)


def test_behaviour(hoko_contract_result: RunResult, behaviour_id: str) -> None:
    """The server honours one documented behaviour."""
    observation = hoko_contract_result.verdict.observations[behaviour_id]
    if observation.status is Status.FAIL:
        pytest.fail(failure_text(observation), pytrace=False)
    if observation.status is Status.NOT_OBSERVED:
        pytest.skip("not observed: " + ("; ".join(observation.notes) or "no request reached it"))
