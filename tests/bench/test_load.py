"""The load generators: bounded in count and in time, and read the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import openapi
from bench.load import LoadSettings, choose_generator, parse_result, run_load
from bench.payloads import API_KEY
from bench.servers import RunningServer

RESULT_LINE = (
    'HOKO_BENCH_RESULT {"requests": 3000, "duration_us": 1500000, "p50_us": 2500, '
    '"p99_us": 12000, "status_errors": 2, "socket_errors": 1}'
)


def test_parse_result_reads_the_last_result_line() -> None:
    result = parse_result(f"Running 1s test\n{RESULT_LINE}\n")
    assert result.requests == 3000
    assert result.throughput == 2000.0
    assert (result.p50_ms, result.p99_ms) == (2.5, 12.0)
    assert (result.status_errors, result.socket_errors) == (2, 1)


def test_parse_result_without_a_result_line_says_so() -> None:
    with pytest.raises(ValueError, match="no HOKO_BENCH_RESULT line"):
        parse_result("Running 1s test\n")


def test_python_is_chosen_when_asked_for() -> None:
    assert choose_generator("python") == "python"


@pytest.mark.slow
def test_python_generator_stops_at_its_request_budget(
    ceiling: RunningServer, body_file: Path
) -> None:
    settings = LoadSettings(body_file, API_KEY, connections=4, duration=60.0, max_requests=40)
    result = run_load("python", ceiling.base_url + openapi.LINKS_PATH, settings)
    assert result.requests == 40
    assert result.status_errors == result.socket_errors == 0
    assert 0 < result.p50_ms <= result.p99_ms


@pytest.mark.slow
def test_python_generator_stops_at_its_deadline(ceiling: RunningServer, body_file: Path) -> None:
    settings = LoadSettings(body_file, API_KEY, connections=2, duration=0.3, max_requests=10**9)
    result = run_load("python", ceiling.base_url + openapi.LINKS_PATH, settings)
    assert 0 < result.requests < settings.max_requests


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_wrk_script_posts_the_body_and_prints_a_result(
    ceiling: RunningServer, body_file: Path
) -> None:
    settings = LoadSettings(body_file, API_KEY, connections=2, duration=1.0)
    result = run_load("wrk", ceiling.base_url + openapi.LINKS_PATH, settings)
    assert result.requests > 0
    assert result.status_errors == 0, "the ceiling answers 400 unless the Lua script sent the JSON"
