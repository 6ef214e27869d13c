"""Rounds give every target one figure per round, and drop a target that fails, saying why."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.load import LoadSettings
from bench.payloads import API_KEY, one_link_body
from bench.rounds import Contestant, RoundPlan, run_rounds
from bench.servers import running
from bench.targets import ceiling_command

pytestmark = pytest.mark.slow


def test_rounds_over_a_good_and_a_failing_target(tmp_path: Path) -> None:
    body_file = tmp_path / "one-link.json"
    body_file.write_bytes(one_link_body())
    load = LoadSettings(body_file, API_KEY, connections=2, duration=0.2, max_requests=200)
    plan = RoundPlan("python", load, rounds=3, batch_posts=2, batch_size=20, warmup_seconds=0)
    with running(ceiling_command(), tmp_path) as server:
        # The same server, expected to echo every link: its fixed 1-link answer fails that.
        good = Contestant(server, echoes_links=False)
        bad = Contestant(dataclasses.replace(server, name="echoing"), echoes_links=True)
        figures = run_rounds([good, bad], plan)
    assert figures["ceiling"].failure is None
    assert len(figures["ceiling"].throughput) == 3
    # A 0.2 s round may fall between two of the kernel's CPU-time ticks; three rounds cannot.
    assert all(0 <= busy < 250 for busy in figures["ceiling"].cpu_percent)
    assert sum(figures["ceiling"].cpu_percent) > 0
    assert len(figures["ceiling"].batch_samples_ms) == 6
    assert figures["echoing"].failure is not None
    assert "instead of 20" in figures["echoing"].failure
    assert figures["echoing"].throughput == []
