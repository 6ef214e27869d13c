"""Bugs the campaigns found, each pinned by the smallest request or call that showed it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.sqlite_store import SqliteStore
from mock_server.store import RateWindow
from tests.reliability.conftest import MockProcess, hoko_mock
from tests.reliability.hostile import problems
from tests.reliability.wire import RawRequest, exchange

pytestmark = pytest.mark.slow

FULL_KEY = (b"Authorization", b"Bearer hoko_test_full")
JSON = (b"Content-Type", b"application/json")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    """A default ``hoko-mock``."""
    with hoko_mock() as running:
        yield running


@pytest.mark.parametrize("code", [b"\xb2", b"9" * 5000], ids=["superscript-two", "5000-digits"])
def test_prefer_code_that_int_cannot_read_is_a_400_not_a_500(
    mock: MockProcess, code: bytes
) -> None:
    # "²".isdigit() is true but int("²") fails; so does int() on 5,000 digits.
    request = RawRequest(headers=(FULL_KEY, JSON, (b"Prefer", b"code=" + code)), body=b"[]")
    answer = exchange(mock.port, request, timeout=10)
    assert answer.status == 400, answer.body[:300]
    assert not problems("api", request, answer)
    assert b'"rule":"prefer"' in answer.body


@pytest.mark.parametrize(
    ("limit", "status"),
    [(b"%C2%B2", 400), (b"9" * 5000, 200), (b"%D9%A3", 400), (b"3", 200)],
    ids=["superscript-two", "5000-digits", "arabic-indic-three", "three"],
)
def test_journal_limit_that_int_cannot_read_is_answered_not_a_500(
    mock: MockProcess, limit: bytes, status: int
) -> None:
    request = RawRequest(method=b"GET", target=b"/__mock/journal?limit=" + limit)
    answer = exchange(mock.port, request, timeout=10)
    assert answer.status == status, answer.body[:300]
    assert not problems("control", request, answer)


def test_late_clock_reading_does_not_reset_the_next_rate_window(tmp_path: Path) -> None:
    # Two workers: one opens window 101 while the other, whose clock was read just before the
    # boundary, counts into window 100 a moment later; that used to reset window 101 to zero.
    store = SqliteStore(str(tmp_path / "state.db"))

    async def count_late_reading() -> tuple[RateWindow, RateWindow]:
        for _ in range(3):
            await store.hit("key", limit=3, window=1, now=101.2)
        late = await store.hit("key", limit=3, window=1, now=100.999)
        after = await store.hit("key", limit=3, window=1, now=101.3)
        await store.close()
        return late, after

    late, after = asyncio.run(count_late_reading())
    assert late.exceeded, "a late reading reopened the old window instead of counting"
    assert after.count == 5
    assert after.exceeded
