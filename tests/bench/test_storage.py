"""Memory per stored link, measured on a real mock from /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.memory import MemoryStatus
from bench.servers import running
from bench.storage import StorageFigures, store_links
from bench.targets import mock_command


def test_per_link_figures_grow_from_the_warm_baseline() -> None:
    figures = StorageFigures(
        links=1000,
        before=MemoryStatus(peak_bytes=60_000, resident_bytes=50_000),
        after=MemoryStatus(peak_bytes=2_050_000, resident_bytes=1_050_000),
        seconds=1.0,
    )
    assert figures.peak_bytes_per_link == 2000
    assert figures.resident_bytes_per_link == 1000


@pytest.mark.slow
def test_store_links_in_a_real_mock(tmp_path: Path) -> None:
    with running(mock_command("mock"), tmp_path) as server:
        figures = store_links(server, links=250, batch_size=100)
    assert figures.links == 250
    assert figures.after.peak_bytes >= figures.after.resident_bytes > 0
