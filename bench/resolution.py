"""Short links: resolution req/s and p99 beside the 1-link POST, and QR render p50, one mock."""

from __future__ import annotations

import dataclasses
import http.client
import json
import math
import time
import urllib.parse
from pathlib import Path
from typing import Final

from bench import BenchError
from bench.goals import Verdict
from bench.load import GeneratorName, LoadSettings, run_load
from bench.payloads import API_KEY, one_link_body
from bench.servers import HOST, RunningServer, running
from bench.stats import median, median_ratio, percentile
from bench.targets import mock_command

MIN_RESOLUTION_RATIO: Final = 1.5
QR_RENDERS: Final = 100
QR_SIZE: Final = 512
QR_FORMATS: Final = ("svg", "png")
REQUEST_TIMEOUT_SECONDS: Final = 30.0


@dataclasses.dataclass(frozen=True)
class ResolutionFigures:
    """Per round: GET /{shortId} and 1-link POST req/s, GET p99; then each format's QR p50."""

    resolve_throughput: list[float]
    resolve_p99_ms: list[float]
    post_throughput: list[float]
    qr_p50_ms: dict[str, float]

    @property
    def ratio(self) -> float:
        """Return the median over rounds of resolution req/s over 1-link POST req/s."""
        return median_ratio(self.resolve_throughput, self.post_throughput)


def _request(server: RunningServer, method: str, path: str, body: bytes | None = None) -> bytes:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT_SECONDS)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
    except OSError as error:
        raise BenchError(f"{method} {path} failed: {error}") from None
    finally:
        connection.close()
    if answer.status >= 400:
        raise BenchError(f"{method} {path} answered {answer.status}: {content[:200]!r}")
    return content


def _created_short_id(server: RunningServer) -> str:
    created = json.loads(_request(server, "POST", "/api/links", one_link_body()))
    return str(created[0]["shortUrl"]).rsplit("/", 1)[1]


def _qr_p50_ms(server: RunningServer, image_format: str) -> float:
    # A new text each time: every answer is a fresh render, as for a new link.
    seconds = []
    for index in range(QR_RENDERS):
        query = urllib.parse.urlencode(
            {"text": f"http://{HOST}:{server.port}/bench{index}?qr=1", "size": QR_SIZE}
        )
        started = time.perf_counter()
        _request(server, "GET", f"/qrcode?{query}&errorCorrection=H&format={image_format}")
        seconds.append(time.perf_counter() - started)
    return percentile(sorted(seconds), 0.5) * 1000


def measure_resolution(
    generator: GeneratorName, load: LoadSettings, rounds: int, scratch: Path
) -> ResolutionFigures:
    """Start a fresh mock, then alternate GET /{shortId} and 1-link POST loads on it."""
    with running(mock_command("mock-resolution"), scratch) as server:
        short_id = _created_short_id(server)
        resolve = dataclasses.replace(load, method="GET")
        resolved, posted, p99 = [], [], []
        for _ in range(rounds):
            result = run_load(generator, f"{server.base_url}/{short_id}", resolve)
            if result.status_errors:
                raise BenchError(f"{result.status_errors} visits of /{short_id} got an error")
            resolved.append(result.throughput)
            p99.append(result.p99_ms)
            posted.append(run_load(generator, f"{server.base_url}/api/links", load).throughput)
        qr = {image_format: _qr_p50_ms(server, image_format) for image_format in QR_FORMATS}
    return ResolutionFigures(resolved, p99, posted, qr)


def resolution_line(figures: ResolutionFigures | str) -> str:
    """Describe what the short-link run measured."""
    if isinstance(figures, str):
        return figures
    qr = ", ".join(f"{name.upper()} {ms:.2f} ms" for name, ms in figures.qr_p50_ms.items())
    return (
        f"GET /{{shortId}} {median(figures.resolve_throughput):,.0f} req/s "
        f"(p99 {median(figures.resolve_p99_ms):.2f} ms) beside 1-link POST "
        f"{median(figures.post_throughput):,.0f} req/s on the same mock; "
        f"QR render p50 at {QR_SIZE} px: {qr}"
    )


def resolution_verdict(figures: ResolutionFigures | str) -> Verdict:
    """Judge the goal: resolving is at least 1.5x the 1-link POST req/s of the same run."""
    goal = f"resolution req/s >= {MIN_RESOLUTION_RATIO:g}x 1-link POST (same mock)"
    if isinstance(figures, str):
        return Verdict(goal, figures, None)
    value = figures.ratio
    if math.isnan(value):
        return Verdict(goal, "not measured", None)
    return Verdict(goal, f"{value:.2f}x", value >= MIN_RESOLUTION_RATIO)
