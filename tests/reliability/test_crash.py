"""SIGKILL in the middle of 10,000-link batches: every 201 survives, no batch is half stored."""

from __future__ import annotations

import concurrent.futures
import random
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import MockProcess, batch_body, hoko_mock, report, verify_whole

pytestmark = pytest.mark.slow

BATCH = 10_000
POSTERS = 4
BATCHES_PER_ROUND = 8
ROUND_TIMEOUT = 120.0  # seconds to wait for the first acknowledged batch of a round


@pytest.fixture(
    params=[
        pytest.param((1, 1), id="ci-1-worker"),
        pytest.param((2, 1), id="ci-2-workers"),
        pytest.param((1, 5), id="campaign-1-worker", marks=pytest.mark.campaign),
        pytest.param((2, 5), id="campaign-2-workers", marks=pytest.mark.campaign),
    ]
)
def plan(request: pytest.FixtureRequest) -> tuple[int, int]:
    """Workers and SIGKILL rounds: a CI slice or the campaign."""
    workers, rounds = request.param
    return int(workers), int(rounds)


def load_then_kill(
    mock: MockProcess, round_number: int, seed: int
) -> tuple[dict[str, dict[str, Any]], int]:
    """Post batches from 4 threads, SIGKILL the mock mid-flight; return links answered 201, cut."""
    acknowledged: dict[str, dict[str, Any]] = {}
    cut: list[int] = []
    answered = threading.Condition()
    answered_batches = 0
    # The kill follows the 1st to 3rd 201 at once, so the other posters are still mid-batch.
    kill_after = random.Random(seed).randint(1, 3)

    def post(batch: int) -> None:
        with httpx.Client(base_url=mock.base_url, timeout=60) as client:
            try:
                response = client.post(
                    "/api/links",
                    headers={
                        "Authorization": "Bearer hoko_test_full",
                        "Content-Type": "application/json",
                    },
                    content=batch_body(f"r{round_number}b{batch}", BATCH),
                )
            except httpx.TransportError:
                cut.append(batch)
                return  # killed before answering: the batch may be stored whole or not at all
        nonlocal answered_batches
        assert response.status_code == 201, response.text[:300]
        with answered:
            acknowledged.update({link["id"]: link for link in response.json()})
            answered_batches += 1
            answered.notify_all()

    with concurrent.futures.ThreadPoolExecutor(max_workers=POSTERS) as pool:
        futures = [pool.submit(post, batch) for batch in range(BATCHES_PER_ROUND)]
        with answered:
            reached = answered.wait_for(lambda: answered_batches >= kill_after, ROUND_TIMEOUT)
            assert reached, f"fewer than {kill_after} batches were acknowledged before the kill"
            mock.kill()
        for future in futures:
            future.result(timeout=120)
    return acknowledged, len(cut)


def test_sigkill_mid_batch_keeps_every_acknowledged_link_and_no_half_batch(
    plan: tuple[int, int], tmp_path: Path
) -> None:
    workers, rounds = plan
    state = str(tmp_path / "state.db")
    args = ["--state", state, "--workers", str(workers), "--rate-limit", "100000"]
    acknowledged: dict[str, dict[str, Any]] = {}
    cut_total = verified = 0
    for round_number in range(rounds + 1):
        with hoko_mock(*args) as mock:
            per_batch = verify_whole(mock, acknowledged, BATCH)
            verified = len(acknowledged)
            if round_number == rounds:
                break
            answered, cut = load_then_kill(mock, round_number, seed=round_number)
        assert cut > 0, "the SIGKILL landed after every batch was answered, not mid-batch"
        acknowledged.update(answered)
        cut_total += cut
    unacknowledged = len(per_batch) - len(acknowledged) // BATCH
    report(
        f"crash ({workers} worker(s), {rounds} SIGKILL round(s), batches of {BATCH}): "
        f"links verified after the crash {verified} of {len(acknowledged)} answered 201, "
        f"batches cut by SIGKILL {cut_total} ({unacknowledged} of them stored whole, the rest "
        f"not at all), half-stored batches 0"
    )
