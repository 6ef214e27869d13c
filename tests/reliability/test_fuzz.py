"""Fuzzing a real ``hoko-mock``: documented statuses in the documented shape, no 5xx, no hang."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import openapi
from mock_server.body import default_body_cap
from mock_server.protocol import MAX_HEAD_BYTES
from tests.reliability.conftest import MockProcess, hoko_mock, report
from tests.reliability.hostile import giant_requests, head_bytes, hostile_requests, problems
from tests.reliability.wire import RawRequest, exchange

pytestmark = pytest.mark.slow

TALLY_ENV = "HOKO_RELIABILITY_TALLY"  # read by schemathesis_tally, in the CLI process

REQUEST_TIMEOUT = 30.0  # seconds; a 180 MB upload stays well within it on one machine
CI_REQUESTS = 400
CAMPAIGN_REQUESTS = 10_000
CI_SCHEMATHESIS_EXAMPLES = 30
CAMPAIGN_SCHEMATHESIS_EXAMPLES = 1_000


@dataclass
class Tally:
    """Requests sent, statuses seen and the slowest answer of one campaign."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    slowest: float = 0.0
    started: float | None = None
    # Heads over the HTTP layer's limit, refused with the documented 400 before the app runs.
    head_refusals: int = 0

    def add(self, status: int, seconds: float) -> None:
        """Count one answer; the clock starts at the first."""
        if self.started is None:
            self.started = time.monotonic() - seconds
        self.statuses[status] += 1
        self.slowest = max(self.slowest, seconds)

    def line(self, name: str) -> str:
        """Render the figures as one line."""
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        elapsed = time.monotonic() - (self.started or time.monotonic())
        return (
            f"{name}: {sum(self.statuses.values())} requests in "
            f"{elapsed:.1f} s, statuses {dict(sorted(self.statuses.items()))}, "
            f"5xx {server_errors}, max latency {self.slowest * 1000:.0f} ms"
            + (f", heads over the limit {self.head_refusals}" if self.head_refusals else "")
        )


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    """A default ``hoko-mock`` whose rate limit the fuzzing never reaches."""
    with hoko_mock("--rate-limit", "10000000") as running:
        yield running


def send(mock: MockProcess, where: str, request: RawRequest, tally: Tally) -> None:
    """Send one request and fail with a curl line unless the answer is documented."""
    answer = exchange(mock.port, request, REQUEST_TIMEOUT)
    tally.add(answer.status, answer.seconds)
    tally.head_refusals += head_bytes(request) > MAX_HEAD_BYTES
    found = problems(where, request, answer)
    assert not found, (
        f"undocumented answer to a fuzzed request: {'; '.join(found)}\n"
        f"  received: {answer.status} {answer.body[:300]!r}\n"
        f"  documented: {sorted(DOCUMENTED_TEXT)}\n"
        f"  reproduce: {request.curl(mock.base_url)}"
    )


DOCUMENTED_TEXT = ("201 array of links", "400/401/403/429 {error: {en, ar}}", "404/405 on others")


@pytest.fixture(
    params=[
        pytest.param(CI_SCHEMATHESIS_EXAMPLES, id="ci"),
        pytest.param(CAMPAIGN_SCHEMATHESIS_EXAMPLES, id="campaign", marks=pytest.mark.campaign),
    ]
)
def schemathesis_examples(request: pytest.FixtureRequest) -> int:
    """How many fuzzing-phase examples Schemathesis generates: a CI slice or the campaign."""
    return int(request.param)


@pytest.mark.parametrize(
    "total",
    [
        pytest.param(CI_REQUESTS, id="ci"),
        pytest.param(CAMPAIGN_REQUESTS, id="campaign", marks=pytest.mark.campaign),
    ],
)
def test_hostile_bodies_and_headers_get_documented_answers(mock: MockProcess, total: int) -> None:
    tally = Tally()
    giants = giant_requests(default_body_cap())
    for where, request in giants:
        send(mock, where, request, tally)

    @given(drawn=hostile_requests())
    @settings(
        max_examples=total - len(giants),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    def campaign(drawn: tuple[str, RawRequest]) -> None:
        send(mock, *drawn, tally)

    campaign()
    report(tally.line(f"fuzz (raw bodies and headers, {total} planned)"))
    assert sum(tally.statuses.values()) >= total * 0.95
    assert {201, 400, 401, 403} <= set(tally.statuses), "the fuzzing missed a documented status"


def test_schemathesis_negative_phases_get_documented_answers(
    mock: MockProcess, tmp_path: Path, schemathesis_examples: int
) -> None:
    # The CLI, not @schema.parametrize: that would build every coverage case at collection.
    spec = tmp_path / "openapi.json"
    spec.write_bytes(orjson.dumps(openapi.load_spec()))
    tally_path = tmp_path / "tally.jsonl"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--no-color",
        "run",
        str(spec),
        "--url",
        mock.base_url,
        "-H",
        "Authorization: Bearer hoko_test_full",
        "--mode",
        "negative",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        # negative_data_rejection: a case Schemathesis knows to be invalid must not get 201.
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,negative_data_rejection",
        "--max-examples",
        str(schemathesis_examples),
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        str(REQUEST_TIMEOUT),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_tally",
        "PYTHONPATH": str(Path(__file__).resolve().parent),
        TALLY_ENV: str(tally_path),
    }
    began = time.monotonic()
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800
    )
    tally = Tally(started=began)
    for line in tally_path.read_bytes().splitlines():
        answer = orjson.loads(line)
        tally.add(answer["status"], answer["seconds"])
    report(
        tally.line(
            f"fuzz (Schemathesis negative, examples/coverage/fuzzing, -n {schemathesis_examples})"
        )
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert set(tally.statuses) <= {201, 400, 401, 403, 404, 405, 429}, tally.statuses
    assert sum(tally.statuses.values()) >= schemathesis_examples
