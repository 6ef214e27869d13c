"""The suite passes the reference implementation, reproducibly, with every behaviour observed."""

from __future__ import annotations

import pytest
from contract_reference import ReferenceServer, ServerOptions
from contract_running import RUN_TAG, SEED, RunSuite, settings_for
from contract_serving import serving

from contract_tests import runner
from contract_tests.behaviours import Status


@pytest.mark.slow
def test_reference_passes_at_the_documented_batch_limit(run_suite: RunSuite) -> None:
    """Every behaviour passes against the reference, 10,000-link batches included."""
    result = run_suite(
        ServerOptions(batch_limit=10_000), max_batch=10_000, max_examples=10, run_tag=RUN_TAG
    )
    statuses = {key: seen.status for key, seen in result.verdict.observations.items()}
    assert {key for key, status in statuses.items() if status is not Status.PASS} == set()
    assert result.exit_code == 0
    assert result.counters.requests <= settings_for("http://127.0.0.1:1").max_requests


@pytest.mark.slow
def test_same_seed_sends_the_same_requests() -> None:
    """Two runs with one seed and one run tag send byte-identical requests in the same order."""
    journals = []
    for _ in range(2):
        server = ReferenceServer(ServerOptions())
        with serving(server.app) as served:
            runner.run(settings_for(served.url, seed=SEED, run_tag=RUN_TAG))
        journals.append(server.journal)
    assert len(journals[0]) > 300
    assert journals[0] == journals[1]


@pytest.mark.slow
def test_another_seed_sends_other_generated_requests() -> None:
    """A different seed changes the generated part of the run."""
    journals = []
    for seed in (1, 2):
        server = ReferenceServer(ServerOptions())
        with serving(server.app) as served:
            runner.run(settings_for(served.url, seed=seed, run_tag=RUN_TAG))
        journals.append(server.journal)
    assert journals[0] != journals[1]
