"""``--state FILE``: links, externalIds, windows survive restarts, SIGKILL and several workers."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from mock_server.errors import ConfigError
from mock_server.sqlite_store import SqliteStore
from tests.mock_server.conftest import FULL, hoko_mock, link, serve

pytestmark = pytest.mark.slow


def test_links_external_ids_and_windows_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    with (
        serve(state=state, **{"rate-limit": 5, "rate-window": 3600}) as live,
        live.client() as client,
    ):
        created = client.post("/api/links", headers=FULL, json=[link(externalId="kept")]).json()
    with (
        serve(state=state, **{"rate-limit": 5, "rate-window": 3600}) as live,
        live.client() as client,
    ):
        assert client.get("/__mock/links", params={"externalId": "kept"}).json()["links"] == created
        again = client.post("/api/links", headers=FULL, json=[link(externalId="kept")])
        assert again.json()["issues"][0]["rule"] == "externalIdUniqueInWorkspace"
        assert again.headers["x-ratelimit-remaining"] == "3"


def test_unusable_state_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="state: cannot use"):
        SqliteStore(str(tmp_path / "missing-dir" / "state.db"))


def test_workers_share_rate_limits_and_external_ids(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    args = ("--state", state, "--workers", "2", "--rate-limit", "40", "--rate-window", "3600")
    with hoko_mock(*args) as (_, base_url, _banner):

        def post(index: int) -> int:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                body = [link(externalId=f"shared-{index % 10}")]
                return client.post("/api/links", headers=FULL, json=body).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(post, range(100)))
        # 40 requests are admitted across both workers; of those, one per externalId creates.
        assert statuses.count(429) == 60
        assert statuses.count(201) == 10
        assert statuses.count(400) == 30
        links = httpx.get(f"{base_url}/__mock/links").json()
        assert sorted(item["externalId"] for item in links["links"]) == [
            f"shared-{i}" for i in range(10)
        ]


def test_sigkill_mid_batch_loses_no_acknowledged_link_and_stores_no_half_batch(
    tmp_path: Path,
) -> None:
    state = str(tmp_path / "state.db")
    acknowledged: list[int] = []
    with hoko_mock("--state", state, "--rate-limit", "1000") as (process, base_url, _banner):

        def post(batch: int) -> None:
            body = [link(externalId=f"b{batch}-{i}") for i in range(10_000)]
            with (
                contextlib.suppress(httpx.HTTPError),
                httpx.Client(base_url=base_url, timeout=60) as client,
            ):
                if client.post("/api/links", headers=FULL, json=body).status_code == 201:
                    acknowledged.append(batch)

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(post, batch) for batch in range(12)]
            deadline = time.monotonic() + 60
            while len(acknowledged) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            concurrent.futures.wait(futures, timeout=60)
    assert len(acknowledged) >= 3
    with hoko_mock("--state", state) as (_, base_url, _banner):
        stored = httpx.get(f"{base_url}/__mock/links", timeout=60).json()["links"]
    batches: dict[str, int] = {}
    for item in stored:
        prefix = item["externalId"].split("-")[0]
        batches[prefix] = batches.get(prefix, 0) + 1
    assert set(batches.values()) == {10_000}, "a batch was half stored"
    assert {f"b{batch}" for batch in acknowledged} <= set(batches)
