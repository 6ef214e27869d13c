"""Group commit: a writer thread runs the writes that arrive together in one SQLite transaction."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from mock_server.errors import MockError

Operation = Callable[[sqlite3.Connection], Any]

MAX_GROUP: Final = 512  # writes per transaction, so one commit never waits on an endless queue
# The log is copied into the database while no write waits, once this many rows changed since
# the last copy; SQLite's own checkpoint, inside a commit, is left for unbroken load (40 MB).
CHECKPOINT_AFTER_CHANGES: Final = 4_000
COMMIT_CHECKPOINT_PAGES: Final = 10_000


class WriterStoppedError(MockError):
    """A write was submitted after the writer was closed."""


@dataclass(slots=True)
class _Write:
    operation: Operation
    durable: bool
    loop: asyncio.AbstractEventLoop | None = None  # None: nobody waits for this write
    future: asyncio.Future[Any] | None = field(default=None, repr=False)


Settlement = tuple[asyncio.Future[Any], Any, BaseException | None]


def _settle(settlements: list[Settlement]) -> None:
    for future, result, error in settlements:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class GroupCommit:
    """Runs operations on its own connection, each group of them in one IMMEDIATE transaction."""

    # An operation that fails is undone alone (its group runs again, each write in a
    # savepoint); its caller is answered only once the transaction holding it has committed. A
    # group holding a durable write commits with synchronous=FULL (the WAL is synced before the
    # commit returns); the others with NORMAL, which survives a crash of the process but not of
    # the machine. The log is checkpointed while no write waits, not inside a commit.

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        connection.execute(f"PRAGMA wal_autocheckpoint={COMMIT_CHECKPOINT_PAGES}")
        self._changes_checkpointed = connection.total_changes
        self._synchronous = ""  # set by the first group
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="sqlite-group-commit", daemon=True)
        self._thread.start()

    async def run(self, operation: Operation, durable: bool = True) -> Any:
        """Run ``operation(connection)`` in the next transaction; return once it has committed."""
        if self._closed:
            raise WriterStoppedError("the SQLite state is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Write(operation, durable, loop, future))
        return await future

    def submit(self, operation: Operation) -> None:
        """Queue ``operation`` for the next transaction without waiting for it (nor its error)."""
        if self._closed:
            raise WriterStoppedError("the SQLite state is closed")
        self._queue.put(_Write(operation, durable=False))

    async def close(self) -> None:
        """Commit what was submitted, then stop the thread and close its connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get_nowait()
            except queue.Empty:
                self._checkpoint_if_due()
                first = self._queue.get()
            group: list[_Write] = []
            if first is None:
                stopping = True
            else:
                group.append(first)
            while not stopping and len(group) < MAX_GROUP:
                try:
                    write = self._queue.get_nowait()
                except queue.Empty:
                    break
                if write is None:
                    stopping = True
                else:
                    group.append(write)
            if group:
                self._commit(group)
        self._db.close()

    def _checkpoint_if_due(self) -> None:
        # Inside a commit, a 10,000-link batch's checkpoint (~8 ms) delayed its own answer.
        if self._db.total_changes - self._changes_checkpointed < CHECKPOINT_AFTER_CHANGES:
            return
        # A checkpoint that fails or is held back by a reader leaves the log as it is: no loss.
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._changes_checkpointed = self._db.total_changes

    def _commit(self, group: list[_Write]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] | None
        try:
            synchronous = "FULL" if any(write.durable for write in group) else "NORMAL"
            if synchronous != self._synchronous:
                self._db.execute(f"PRAGMA synchronous={synchronous}")
                self._synchronous = synchronous
            outcomes = self._transaction(group, one_by_one=False)
            if outcomes is None:
                outcomes = self._transaction(group, one_by_one=True)
                assert outcomes is not None  # one by one, a failing write is undone alone
        except Exception as failure:  # noqa: BLE001 - nothing of the group was stored
            outcomes = [(None, failure)] * len(group)
        # One wake-up per event loop for the whole group, not one per write.
        by_loop: dict[asyncio.AbstractEventLoop, list[Settlement]] = {}
        for write, (result, error) in zip(group, outcomes, strict=True):
            if write.loop is not None and write.future is not None:
                by_loop.setdefault(write.loop, []).append((write.future, result, error))
        for loop, settlements in by_loop.items():
            # A caller whose event loop has ended waits for nothing.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, settlements)

    def _transaction(
        self, group: list[_Write], one_by_one: bool
    ) -> list[tuple[Any, BaseException | None]] | None:
        """Run the group in one transaction; None if a write failed and undid it whole."""
        # Writes rarely fail, so a group first runs without a savepoint per write (two
        # statements each, a fifth of a 1-link request's SQL).
        db = self._db
        outcomes: list[tuple[Any, BaseException | None]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for write in group:
                if one_by_one:
                    db.execute("SAVEPOINT write")
                try:
                    outcomes.append((write.operation(db), None))
                except Exception as refused:  # noqa: BLE001 - handed to the waiting request
                    if not one_by_one:
                        db.execute("ROLLBACK")
                        # Alone in its group, the write is already undone alone.
                        return [(None, refused)] if len(group) == 1 else None
                    db.execute("ROLLBACK TO write")
                    outcomes.append((None, refused))
                if one_by_one:
                    db.execute("RELEASE write")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return outcomes
