"""One ceiling server shared by the tests that only need something answering 201."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.servers import RunningServer, running
from bench.targets import ceiling_command


@pytest.fixture(scope="session")
def ceiling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running(ceiling_command(), tmp_path_factory.mktemp("ceiling")) as server:
        yield server
