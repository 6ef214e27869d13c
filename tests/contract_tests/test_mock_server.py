"""The suite passes the kit's own mock server, started as ``hoko-mock`` and reached over HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from contract_commands import hoko_contract
from contract_serving import free_port

BIN = Path(sys.executable).parent
# Low enough for the probe to reach at the mock's pace, high enough for no other check to wait.
MOCK_RATE_LIMIT, MOCK_RATE_WINDOW = 600, 120


@pytest.fixture
def mock_url() -> Iterator[str]:
    """Start ``hoko-mock`` on a free port, wait until it answers, and end it by pid."""
    port = free_port()
    command = [
        str(BIN / "hoko-mock"), "--host", "127.0.0.1", "--port", str(port),
        "--rate-limit", str(MOCK_RATE_LIMIT), "--rate-window", str(MOCK_RATE_WINDOW),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.post(f"{url}/api/links", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read() if process.stderr else b""
                    raise RuntimeError(f"hoko-mock did not start: {output!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_against_mock(mock_url: str, key: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the installed suite against the mock with ``key``; 60 s is the subprocess bound."""
    return hoko_contract(
        "--base-url", mock_url, "--api-key", key, "--no-scope-key", "hoko_test_noscope",
        "--collection-id", "550e8400-e29b-41d4-a716-446655440000",
        "--max-examples", "10", "--max-time", "55", "--quiet", *extra,
        timeout=60,
    )  # fmt: skip


@pytest.mark.slow
def test_suite_passes_the_mock_within_a_minute(mock_url: str) -> None:
    """Every behaviour passes against hoko-mock, the 429 included; the subprocess bound is 60 s."""
    result = run_against_mock(mock_url, "hoko_test_full", "--seed", "4")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "PASS rate-limit.429" in result.stdout
    assert "N/O " not in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.slow
def test_a_basic_plan_run_passes_the_mock(mock_url: str) -> None:
    """The basic key, told its plan has no feature and 5 links a request, passes: gates hold."""
    result = run_against_mock(
        mock_url, "hoko_test_basic", "--seed", "5", "--plan-features", "", "--max-batch", "5"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "PASS plan.gated-fields" in result.stdout
    assert "FAIL" not in result.stdout
