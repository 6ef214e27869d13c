"""32 concurrent clients: ``limit`` admitted per window per key, no duplicate, no half batch."""

from __future__ import annotations

import collections
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import CLIENTS, hoko_mock, report, spread
from tests.reliability.hostile import COLLECTION
from tests.reliability.overlap import BATCH, KEYS, check_overlap, send_overlapping

pytestmark = pytest.mark.slow

RATE_LIMIT = 5  # tiny, so even a loaded machine sends more than it in every window
RATE_WINDOW = "1"


def server_args(workers: int, tmp_path: Path) -> list[str]:
    """Return the options of a mock with ``workers`` processes (sharing a state file if > 1)."""
    if workers == 1:
        return []
    return ["--workers", str(workers), "--state", str(tmp_path / "state.db")]


@pytest.fixture(
    params=[
        pytest.param((1, 3.0), id="ci-1-worker"),
        pytest.param((2, 3.0), id="ci-2-workers"),
        pytest.param((1, 30.0), id="campaign-1-worker", marks=pytest.mark.campaign),
        pytest.param((2, 30.0), id="campaign-2-workers", marks=pytest.mark.campaign),
    ]
)
def plan(request: pytest.FixtureRequest) -> tuple[int, float]:
    """Workers and seconds of load: a CI slice or the campaign."""
    workers, seconds = request.param
    return int(workers), float(seconds)


def test_each_key_gets_exactly_its_limit_in_every_window(
    plan: tuple[int, float], tmp_path: Path
) -> None:
    workers, seconds = plan
    args = ["--rate-limit", str(RATE_LIMIT), "--rate-window", RATE_WINDOW]
    with hoko_mock(*args, *server_args(workers, tmp_path)) as mock:

        def send(client: httpx.Client, index: int) -> tuple[str, int, str, httpx.Response]:
            key = KEYS[index % len(KEYS)]
            body = [{"url": "https://example.com", "collectionId": COLLECTION}]
            response = client.post(
                "/api/links", headers={"Authorization": f"Bearer {key}"}, json=body
            )
            return key, response.status_code, response.headers["x-ratelimit-reset"], response

        results = spread([mock], seconds, send)
        stored = httpx.get(f"{mock.base_url}/__mock/health", timeout=30).json()["links"]
    admitted: collections.Counter[tuple[str, str]] = collections.Counter()
    refused: collections.Counter[tuple[str, str]] = collections.Counter()
    for key, status, reset, response in results:
        assert status in {201, 429}, f"unexpected {status}: {response.text[:300]}"
        if status == 201:
            admitted[key, reset] += 1
        else:
            refused[key, reset] += 1
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["retryAfter"] >= 1
    windows = sorted({reset for _, _, reset, _ in results})
    # A window in which a key was refused once saw more than ``limit`` requests of that key:
    # exactly ``limit`` of them must have been admitted, however the requests interleaved.
    saturated = [window for window in refused if admitted[window] != RATE_LIMIT]
    assert not saturated, {window: admitted[window] for window in saturated}
    assert max(admitted.values()) <= RATE_LIMIT, admitted
    for key in KEYS:
        assert any(k == key for k, _ in refused), f"{key} never reached its limit"
    assert stored == sum(admitted.values()), "a 201 without its link, or a link without a 201"
    report(
        f"concurrency ({workers} worker(s), {CLIENTS} clients, {seconds:g} s, limit {RATE_LIMIT}"
        f"/{RATE_WINDOW} s, 2 keys): {len(results)} requests, {len(windows)} windows, "
        f"windows where a key was refused {len(refused)}, admitted in each of them "
        f"{sorted({admitted[window] for window in refused})}, "
        f"429s {sum(1 for r in results if r[1] == 429)}, links stored {stored}"
    )


def test_overlapping_batches_store_each_external_id_once_and_whole(
    plan: tuple[int, float], tmp_path: Path
) -> None:
    workers, seconds = plan
    batches = int(seconds * 100)
    with hoko_mock("--rate-limit", "10000000", *server_args(workers, tmp_path)) as mock:
        results = spread([mock], seconds * 2, send_overlapping, count=batches)
        listing = httpx.get(f"{mock.base_url}/__mock/links", timeout=60).json()["links"]
    created = check_overlap(results, listing)
    report(
        f"overlapping batches ({workers} worker(s), {CLIENTS} clients): {len(results)} batches of "
        f"{BATCH}, 201 {created}, 400 {len(results) - created}, links stored {len(listing)}, "
        f"duplicates 0, half-stored batches 0"
    )
