"""One ceiling server shared by the tests that only need something answering 201."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.payloads import one_link_body
from bench.servers import RunningServer, running
from bench.targets import ceiling_command


@pytest.fixture(scope="session")
def ceiling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running(ceiling_command(), tmp_path_factory.mktemp("ceiling")) as server:
        yield server


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    """The documented 1-link body, in a file as the load generators read it."""
    path = tmp_path / "one-link.json"
    path.write_bytes(one_link_body())
    return path
