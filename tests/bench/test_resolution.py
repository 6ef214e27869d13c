"""Short-link figures: a bare GET load, resolution beside the 1-link POST, QR render medians."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from bench.load import GeneratorName, LoadSettings
from bench.loadgen import build_request
from bench.payloads import API_KEY
from bench.resolution import (
    QR_FORMATS,
    ResolutionFigures,
    measure_resolution,
    resolution_line,
    resolution_verdict,
)


def test_build_request_for_get_is_a_bare_keep_alive_get() -> None:
    _, _, request = build_request("http://127.0.0.1:8123/abc?x=1", b"[{}]", "key", "GET")
    assert request == b"GET /abc?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8123\r\n\r\n"


@pytest.mark.parametrize(("resolved", "passed"), [(3000.0, True), (1400.0, False)])
def test_the_goal_compares_resolution_with_the_same_round_s_post(
    resolved: float, passed: bool
) -> None:
    figures = ResolutionFigures([resolved] * 3, [1.0] * 3, [1000.0] * 3, {"svg": 2.0})
    verdict = resolution_verdict(figures)
    assert verdict.passed is passed
    assert verdict.measured == f"{resolved / 1000:.2f}x"


def test_an_unmeasured_run_is_not_judged() -> None:
    assert resolution_verdict("not measured (--no-resolution)").passed is None
    assert resolution_line("not measured (--no-resolution)") == "not measured (--no-resolution)"


@pytest.mark.slow
@pytest.mark.parametrize(
    "generator",
    [
        "python",
        pytest.param(
            "wrk",
            marks=pytest.mark.skipif(
                shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
            ),
        ),
    ],
)
def test_a_run_measures_resolution_post_and_both_qr_formats(
    body_file: Path, tmp_path: Path, generator: GeneratorName
) -> None:
    settings = LoadSettings(body_file, API_KEY, connections=2, duration=0.5, max_requests=2000)
    figures = measure_resolution(generator, settings, 1, tmp_path)
    assert figures.resolve_throughput[0] > 0
    assert figures.post_throughput[0] > 0
    assert not math.isnan(figures.ratio)
    assert set(figures.qr_p50_ms) == set(QR_FORMATS)
    assert all(ms > 0 for ms in figures.qr_p50_ms.values())
    assert "GET /{shortId}" in resolution_line(figures)
