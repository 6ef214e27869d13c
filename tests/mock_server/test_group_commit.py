"""Group commit: writes that arrive together share one transaction, each answered once durable."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.group_commit import CHECKPOINT_AFTER_CHANGES, GroupCommit, WriterStoppedError
from tests.mock_server.conftest import run_async


class Traced:
    """A state file, its writer's connection with every statement recorded, and a reader."""

    def __init__(self, path: Path) -> None:
        self.statements: list[str] = []
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (value INTEGER UNIQUE)")
        connection.set_trace_callback(self.statements.append)
        self.writer = GroupCommit(connection)
        self.reader = sqlite3.connect(path, isolation_level=None)

    def values(self) -> list[int]:
        """Return what another connection sees committed."""
        return [row[0] for row in self.reader.execute("SELECT value FROM t ORDER BY value")]

    def commits(self) -> int:
        """Return how many transactions the writer committed."""
        return self.statements.count("COMMIT")


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[Traced]:
    """A writer on a fresh state file."""
    made = Traced(tmp_path / "state.db")
    yield made
    asyncio.run(made.writer.close())
    made.reader.close()


def insert(value: int) -> object:
    """Return an operation inserting ``value``."""
    return lambda db: db.execute("INSERT INTO t VALUES (?)", (value,)).rowcount


@run_async
async def test_writes_queued_together_commit_in_one_transaction(traced: Traced) -> None:
    writing = threading.Event()
    release = threading.Event()

    def blocking(db: sqlite3.Connection) -> int:
        writing.set()
        release.wait(timeout=30)
        return int(db.execute("INSERT INTO t VALUES (0)").rowcount)

    first = asyncio.ensure_future(traced.writer.run(blocking))
    await asyncio.to_thread(writing.wait, 30)
    rest = [asyncio.ensure_future(traced.writer.run(insert(value))) for value in range(1, 21)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(first, *rest) == [1] * 21
    assert traced.commits() == 2
    assert traced.values() == list(range(21))


@run_async
async def test_a_caller_resumes_only_once_its_write_is_committed(traced: Traced) -> None:
    for value in range(5):
        await traced.writer.run(insert(value))
        assert traced.values() == list(range(value + 1))


@run_async
async def test_a_failing_write_is_undone_alone(traced: Traced) -> None:
    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO t VALUES (7)")
        db.execute("INSERT INTO t VALUES (1)")  # taken by the write before it

    outcomes = await asyncio.gather(
        traced.writer.run(insert(1)),
        traced.writer.run(half_then_fail),
        traced.writer.run(insert(2)),
        return_exceptions=True,
    )
    assert outcomes[0] == outcomes[2] == 1
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert traced.values() == [1, 2]


@run_async
async def test_durable_writes_sync_the_log_before_commit(traced: Traced) -> None:
    await traced.writer.run(insert(1), durable=False)
    await traced.writer.run(insert(2))
    pragmas = [s for s in traced.statements if s.startswith("PRAGMA synchronous")]
    assert pragmas == ["PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"]


@run_async
async def test_close_commits_what_was_queued_then_refuses_writes(traced: Traced) -> None:
    pending = [asyncio.ensure_future(traced.writer.run(insert(value))) for value in range(3)]
    await asyncio.sleep(0)
    await traced.writer.close()
    assert await asyncio.gather(*pending) == [1, 1, 1]
    assert traced.values() == [0, 1, 2]
    with pytest.raises(WriterStoppedError):
        await traced.writer.run(insert(9))


@run_async
async def test_a_submitted_write_is_committed_before_any_later_one_returns(
    traced: Traced,
) -> None:
    traced.writer.submit(insert(1))
    traced.writer.submit(insert(1))  # fails alone: nobody waits for its error
    traced.writer.submit(insert(2))
    assert await traced.writer.run(lambda db: db.execute("SELECT count(*) FROM t").fetchone()) == (
        2,
    )
    assert traced.values() == [1, 2]


@run_async
async def test_a_group_runs_without_savepoints_until_a_write_fails(traced: Traced) -> None:
    runs: list[int] = []

    def counted(value: int) -> object:
        def operation(db: sqlite3.Connection) -> int:
            runs.append(value)
            return int(db.execute("INSERT INTO t VALUES (?)", (value,)).rowcount)

        return operation

    await traced.writer.run(counted(1))
    assert not [s for s in traced.statements if s.startswith("SAVEPOINT")]
    outcome = await asyncio.gather(traced.writer.run(counted(1)), return_exceptions=True)
    # Alone in its group, the failed write is undone by the rollback and not run again.
    assert isinstance(outcome[0], sqlite3.IntegrityError)
    assert runs == [1, 1]
    assert traced.values() == [1]


@run_async
async def test_the_log_is_checkpointed_once_the_writer_is_idle(traced: Traced) -> None:
    checkpoint = "PRAGMA wal_checkpoint(PASSIVE)"

    def insert_many(first: int, count: int) -> object:
        rows = [(value,) for value in range(first, first + count)]
        return lambda db: db.executemany("INSERT INTO t VALUES (?)", rows).rowcount

    await traced.writer.run(insert_many(0, 10))
    await traced.writer.run(insert(-1))  # queued after the idle moment that followed
    assert checkpoint not in traced.statements
    await traced.writer.run(insert_many(10, CHECKPOINT_AFTER_CHANGES))
    await traced.writer.run(insert(-2))
    # The checkpoint ran while the writer waited, between the two writes, not in a commit.
    after_batch = traced.statements.index("COMMIT", traced.statements.index(checkpoint) - 1)
    assert traced.statements[after_batch + 1] == checkpoint
    assert traced.statements.count(checkpoint) == 1
