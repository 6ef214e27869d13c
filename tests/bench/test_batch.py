"""The large POST is timed only when the answer is the documented 201."""

from __future__ import annotations

import pytest

from bench import RequestError
from bench.batch import post_created, timed_batches
from bench.servers import RunningServer

pytestmark = pytest.mark.slow


def test_timed_batches_returns_one_time_per_post(ceiling: RunningServer) -> None:
    seconds = timed_batches("ceiling", ceiling.base_url, count=3, size=50, echoes=False)
    assert len(seconds) == 3
    assert all(value > 0 for value in seconds)


def test_a_short_echo_is_refused(ceiling: RunningServer) -> None:
    # The ceiling answers one fixed link, so it cannot stand in for a server that echoes 50.
    with pytest.raises(RequestError, match="201 with 1 links instead of 50"):
        timed_batches("ceiling", ceiling.base_url, count=1, size=50, echoes=True)


def test_another_status_is_refused_with_a_curl_line(ceiling: RunningServer) -> None:
    with pytest.raises(RequestError, match="HTTP 400") as raised:
        post_created("ceiling", ceiling.base_url, b"[{", echoed_links=None)
    assert "curl -X POST" in str(raised.value)
