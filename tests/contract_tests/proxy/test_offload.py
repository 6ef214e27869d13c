"""The schema process: the suite's verdict on big 201 bodies, and the judge's own when it fails."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests import expectations
from contract_tests.proxy.judge import Judge
from contract_tests.proxy.offload import OFFLOADED_FROM, SchemaProcess
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Traffic
from tests.contract_tests.proxy.test_fast_paths import ITEM, UPSTREAM, big_exchange, created

READY_SECONDS = 60.0  # a bound on the process's start-up, not a measured duration
LINKS = 3000  # enough for a 201 past OFFLOADED_FROM


def _items(count: int = LINKS) -> list[dict[str, Any]]:
    return [
        {**ITEM, "url": f"https://example.com/{n}", "externalId": f"e{n}"} for n in range(count)
    ]


def _started(process: SchemaProcess) -> SchemaProcess:
    process.start()
    deadline = time.monotonic() + READY_SECONDS
    while not process.is_ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.is_ready()
    return process


@pytest.fixture
def schema_process() -> Iterator[SchemaProcess]:
    process = _started(SchemaProcess(strict=False))
    yield process
    process.stop()


FAULTS = {
    "none": lambda links: None,
    "an id not a string": lambda links: links[10].update(id=5),
    "a shortUrl missing": lambda links: links[2999].pop("shortUrl"),
    "a link not an object": lambda links: links.__setitem__(7, "link"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_the_process_finds_the_schema_problems_the_suite_finds(
    schema_process: SchemaProcess, fault: str
) -> None:
    """For a big body, the process's verdict is the suite's own schema check of it."""
    links = created(_items())
    FAULTS[fault](links)
    body = json.dumps(links).encode()
    assert len(body) >= OFFLOADED_FROM
    verdict = schema_process.check(body)
    assert verdict is not None
    found = verdict()
    assert found == expectations.schema_problems(201, links, strict=False)
    assert bool(found) is (fault != "none")
    assert schema_process.checked == 1


def test_a_small_body_is_left_to_the_judge(schema_process: SchemaProcess) -> None:
    """Below OFFLOADED_FROM, handing a body over would cost more than it saves."""
    assert schema_process.check(json.dumps(created(_items(3))).encode()) is None


def test_a_verdict_not_asked_for_is_not_taken_for_the_next_one(
    schema_process: SchemaProcess,
) -> None:
    """Each body gets its own verdict, even when the one before was never read."""
    faulty = created(_items())
    faulty[0]["id"] = 5
    assert schema_process.check(json.dumps(faulty).encode()) is not None
    verdict = schema_process.check(json.dumps(created(_items())).encode())
    assert verdict is not None
    assert verdict() == []


def test_stopping_ends_the_process(schema_process: SchemaProcess) -> None:
    """After stop the process is gone and takes nothing more."""
    pid = schema_process.pid
    assert pid is not None
    schema_process.stop()
    assert schema_process.pid is None
    assert not os.path.exists(f"/proc/{pid}")
    assert schema_process.check(b"[" + b" " * OFFLOADED_FROM + b"]") is None


def _faulty_exchange() -> tuple[Traffic, str]:
    items = _items()
    links = created(items)
    links[1234]["createdAt"] = 20261201
    return big_exchange(items, links), "/1234/createdAt"


def test_the_judge_reports_a_schema_fault_the_process_found() -> None:
    """A big 201 with a schema fault is a violation, found by the process."""
    traffic, where = _faulty_exchange()
    judge = Judge(ProxySettings(UPSTREAM))
    judge.schema_process = _started(SchemaProcess(strict=False))
    try:
        found = [v.what for v in judge.judge(traffic)]
        assert any(where in what for what in found)
        assert judge.schema_process.checked == 1
    finally:
        judge.close()


def test_a_dead_process_leaves_the_schema_check_to_the_judge() -> None:
    """Killed mid-run, the process gives no verdict: the judge checks the body itself."""
    traffic, where = _faulty_exchange()
    judge = Judge(ProxySettings(UPSTREAM))
    process = judge.schema_process = _started(SchemaProcess(strict=False))
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)  # the process this test started
    try:
        found = [v.what for v in judge.judge(traffic)]
        assert any(where in what for what in found)
        assert process.checked == 0
        assert process.pid is None  # stopped: not asked again
    finally:
        judge.close()


class KilledOnceHanded(SchemaProcess):
    """A schema process that dies right after it is handed a body, before its verdict."""

    def check(self, body: bytes) -> Any:
        verdict = super().check(body)
        if verdict is not None and self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)  # the process this test started
        return verdict


def test_a_process_dead_before_its_verdict_leaves_the_check_to_the_judge() -> None:
    """Handed the body and killed before it answers: no verdict, and the judge checks itself."""
    traffic, where = _faulty_exchange()
    judge = Judge(ProxySettings(UPSTREAM))
    process = judge.schema_process = _started(KilledOnceHanded(strict=False))
    try:
        found = [v.what for v in judge.judge(traffic)]
        assert any(where in what for what in found)
        assert process.checked == 0
        assert process.pid is None
    finally:
        judge.close()


def test_a_big_request_read_ahead_starts_the_process_once() -> None:
    """The first big request starts the process; a judge closed stops it."""
    judge = Judge(ProxySettings(UPSTREAM))
    judge.schema_process = SchemaProcess(strict=False)
    small = big_exchange(_items(3), created(_items(3)))
    judge.read_ahead(small)
    assert judge.schema_process.pid is None
    judge.read_ahead(big_exchange(_items(), created(_items())))
    pid = judge.schema_process.pid
    assert pid is not None
    judge.read_ahead(big_exchange(_items(), created(_items())))
    assert judge.schema_process.pid == pid
    judge.close()
    assert judge.schema_process.pid is None
