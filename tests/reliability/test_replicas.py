"""Three replicas on one Redis behave as one Hoko: exact windows, whole batches, durable 201s."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mock_server.redis_server import RedisServer, running_redis
from tests.reliability.conftest import (
    CLIENTS,
    MockProcess,
    batch_body,
    hoko_mock,
    listing,
    report,
    spread,
    verify_whole,
)
from tests.reliability.hostile import COLLECTION
from tests.reliability.overlap import BATCH, KEYS, check_overlap, send_overlapping

pytestmark = pytest.mark.slow

REPLICAS = 3
RATE_LIMIT = 5
LARGE_BATCH = 10_000
ROUND_TIMEOUT = 120.0


@pytest.fixture(
    params=[
        pytest.param(1.0, id="ci"),
        pytest.param(10.0, id="campaign", marks=pytest.mark.campaign),
    ]
)
def scale(request: pytest.FixtureRequest) -> float:
    """How long each load runs (and how many large batches): a CI slice or the campaign."""
    return float(request.param)


@contextlib.contextmanager
def replicas(server: RedisServer, *args: str) -> Iterator[list[MockProcess]]:
    """Run three ``hoko-mock`` processes, each on its own port, sharing ``server``."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(hoko_mock("--state", server.url, *args)) for _ in range(REPLICAS)
        ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, durable as documented (AOF, appendfsync always)."""
    with running_redis(tmp_path / "redis", durable=True) as running:
        yield running


def test_replicas_admit_exactly_the_limit_per_key_per_window(
    scale: float, server: RedisServer
) -> None:
    with replicas(server, "--rate-limit", str(RATE_LIMIT), "--rate-window", "1") as mocks:

        def send(client: httpx.Client, index: int) -> tuple[str, int, str, str]:
            key = KEYS[index % len(KEYS)]
            body = [{"url": "https://example.com", "collectionId": COLLECTION}]
            response = client.post(
                "/api/links", headers={"Authorization": f"Bearer {key}"}, json=body
            )
            return key, response.status_code, response.headers["x-ratelimit-reset"], response.text

        results = spread(mocks, 3 * scale, send)
        stored = len(listing(mocks[-1]))
    admitted: collections.Counter[tuple[str, str]] = collections.Counter()
    refused: collections.Counter[tuple[str, str]] = collections.Counter()
    for key, status, reset, text in results:
        assert status in {201, 429}, f"unexpected {status}: {text[:300]}"
        (admitted if status == 201 else refused)[key, reset] += 1
    # A window in which a key was refused saw more than ``limit`` of its requests, on whichever
    # replicas: exactly ``limit`` of them were admitted.
    saturated = {window: admitted[window] for window in refused if admitted[window] != RATE_LIMIT}
    assert not saturated, saturated
    assert max(admitted.values()) <= RATE_LIMIT, admitted
    assert {key for key, _ in refused} == set(KEYS), "a key never reached its limit"
    assert stored == sum(admitted.values()), "a 201 without its link, or a link without a 201"
    report(
        f"replicas rate limit ({REPLICAS} replicas, {CLIENTS} clients, limit {RATE_LIMIT}/1 s): "
        f"{len(results)} requests, windows where a key was refused {len(refused)}, admitted in "
        f"each {sorted({admitted[window] for window in refused})}, links stored {stored}"
    )


def test_replicas_store_overlapping_batches_once_and_whole(
    scale: float, server: RedisServer
) -> None:
    with replicas(server, "--rate-limit", "10000000") as mocks:
        results = spread(mocks, 20 * scale, send_overlapping, count=int(200 * scale))
        stored = listing(mocks[0])
    created = check_overlap(results, stored)
    report(
        f"replicas overlapping batches ({REPLICAS} replicas, {CLIENTS} clients): {len(results)} "
        f"batches of {BATCH}, 201 {created}, 400 {len(results) - created}, links stored "
        f"{len(stored)}, duplicates 0, half-stored batches 0"
    )


HEADERS = {"Authorization": "Bearer hoko_test_full", "Content-Type": "application/json"}


def test_sigkill_of_a_replica_mid_batch_loses_no_acknowledged_link(
    scale: float, server: RedisServer
) -> None:
    posters = REPLICAS * 2 if scale < 2 else CLIENTS
    batches = posters * (2 if scale < 2 else 3)
    acknowledged: dict[str, dict[str, Any]] = {}
    cut: list[int] = []
    first_ack = threading.Event()
    lock = threading.Lock()
    with replicas(server, "--rate-limit", "10000000") as mocks:
        victim = mocks[0]

        def post(batch: int) -> None:
            mock = mocks[batch % REPLICAS]
            with httpx.Client(base_url=mock.base_url, timeout=120) as client:
                try:
                    response = client.post(
                        "/api/links", headers=HEADERS, content=batch_body(f"b{batch}", LARGE_BATCH)
                    )
                except httpx.TransportError:
                    assert mock is victim
                    cut.append(batch)
                    return
            assert response.status_code == 201, response.text[:300]
            with lock:
                acknowledged.update({link["id"]: link for link in response.json()})
            first_ack.set()

        with concurrent.futures.ThreadPoolExecutor(max_workers=posters) as pool:
            futures = [pool.submit(post, batch) for batch in range(batches)]
            assert first_ack.wait(ROUND_TIMEOUT), "no batch was acknowledged before the kill"
            time.sleep(random.Random(batches).uniform(0.0, 0.5))
            victim.kill()
            for future in futures:
                future.result(timeout=300)
        assert cut, "the SIGKILL landed after the replica answered every batch, not mid-batch"
        per_batch = verify_whole(mocks[1], acknowledged, LARGE_BATCH)
    report(
        f"replica SIGKILL ({REPLICAS} replicas, {posters} posters, batches of {LARGE_BATCH}): "
        f"links answered 201 {len(acknowledged)}, all found on another replica; batches cut "
        f"{len(cut)} ({len(per_batch) - len(acknowledged) // LARGE_BATCH} of them stored whole, "
        f"the rest not at all), partly stored batches 0"
    )


def test_redis_restart_with_aof_always_loses_no_acknowledged_link(
    scale: float, server: RedisServer
) -> None:
    size = 100
    with replicas(server, "--rate-limit", "10000000") as mocks:
        acknowledged: dict[str, dict[str, Any]] = {}
        statuses: collections.Counter[int] = collections.Counter()
        lock = threading.Lock()
        stop = threading.Event()
        restarted = threading.Event()
        after_restart = threading.Event()

        def send(client: httpx.Client, index: int) -> None:
            response = client.post(
                "/api/links", headers=HEADERS, content=batch_body(f"a{index}", size)
            )
            with lock:
                statuses[response.status_code] += 1
            assert response.status_code in {201, 503}, response.text[:300]
            if response.status_code == 201:
                with lock:
                    acknowledged.update({link["id"]: link for link in response.json()})
                if restarted.is_set():
                    after_restart.set()
            else:
                assert response.json()["store"] == f"redis {server.url}"

        def outage() -> None:
            time.sleep(scale)
            server.kill()  # harsher than a restart: nothing gets flushed on the way down
            time.sleep(0.5)
            server.start()
            restarted.set()
            after_restart.wait(ROUND_TIMEOUT)
            time.sleep(scale)
            stop.set()

        crasher = threading.Thread(target=outage)
        crasher.start()
        spread(mocks, 4 * scale + ROUND_TIMEOUT, send, stop=stop)
        crasher.join(timeout=ROUND_TIMEOUT)
        assert after_restart.is_set(), "no batch was acknowledged once Redis was back"
        assert statuses[503] > 0, "the replicas never saw Redis gone"
        per_batch = verify_whole(mocks[2], acknowledged, size)
    report(
        f"Redis SIGKILL and restart (AOF, appendfsync always; {REPLICAS} replicas, {CLIENTS} "
        f"clients, batches of {size}): answers {dict(statuses)}, links answered 201 "
        f"{len(acknowledged)}, all found after the restart; batches stored {len(per_batch)}, "
        f"partly stored 0"
    )
