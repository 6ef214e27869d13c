"""A LinkStore in a SQLite file (WAL): survives restarts and is shared by worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Final

import orjson

from mock_server.errors import ConfigError
from mock_server.group_commit import GroupCommit, WriterStoppedError
from mock_server.store import InsertRefused, RateWindow, StoredLink, window_start

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS links (
    seq INTEGER PRIMARY KEY,
    short_id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL,
    external_id TEXT UNIQUE,
    body BLOB NOT NULL
);
-- Filtering by collection is for the control endpoint only: a scan there is cheaper than an
-- index every stored link updates (it doubled the time of a 10,000-link insert).
DROP INDEX IF EXISTS links_collection;
CREATE TABLE IF NOT EXISTS windows (
    key_id TEXT PRIMARY KEY, start REAL NOT NULL, count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
"""
CHUNK: Final = 500  # stays under SQLite's limit on bound parameters
# The writer's page cache, in KiB (SQLite's default is 2 MiB): the shortId and externalId indexes
# take random inserts, and once they outgrow the cache every 10,000-link batch rereads them.
WRITER_CACHE_KIB: Final = 64 * 1024


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class SqliteStore:
    """Writes go through group commit, each atomic across processes; reads see what committed."""

    def __init__(self, path: str, journal_size: int = 1000) -> None:
        try:
            writer = self._connect(path)
            writer.execute("PRAGMA journal_mode=WAL")
            writer.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            writer.executescript(SCHEMA)
            self._db = self._connect(path)
        except sqlite3.Error as error:
            raise ConfigError(
                "state", f"cannot use {path!r} as a SQLite state file: {error}"
            ) from None
        self._writer = GroupCommit(writer)
        self._journal_size = journal_size
        self._unsent: list[bytes] | None = None  # journal entries of this turn of the loop

    @staticmethod
    def _connect(path: str) -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)

    async def short_ids_taken(self, short_ids: Sequence[str]) -> set[str]:
        """Return which of ``short_ids`` already name a stored link."""
        taken: set[str] = set()
        for chunk in _chunks(short_ids):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT short_id FROM links WHERE short_id IN ({marks})"  # noqa: S608
            rows = self._db.execute(query, chunk)
            taken.update(row[0] for row in rows)
        return taken

    async def insert(
        self, links: Sequence[StoredLink], links_total: int | None
    ) -> InsertRefused | None:
        """Store every link, or none of them and say why; return once it is durable."""
        refused: InsertRefused | None = await self._writer.run(
            lambda db: _insert_in(db, links, links_total)
        )
        return refused

    async def admit(
        self,
        key_id: str | None,
        limit: int,
        window: float,
        now: float,
        links: Sequence[StoredLink],
        links_total: int | None,
    ) -> tuple[RateWindow | None, InsertRefused | None]:
        """Count a request of ``key_id`` (if any) and store its links, in one durable write."""

        def admit(db: sqlite3.Connection) -> tuple[RateWindow | None, InsertRefused | None]:
            counted = None
            if key_id is not None:
                start, count = _hit_in(db, key_id, window, now)
                counted = RateWindow(limit, count, start + window)
            if (counted is not None and counted.exceeded) or not links:
                return counted, None
            return counted, _insert_in(db, links, links_total)

        admitted: tuple[RateWindow | None, InsertRefused | None] = await self._writer.run(admit)
        return admitted

    async def find(self, collection_id: str | None, external_id: str | None) -> list[StoredLink]:
        """Return the stored links matching the filters, oldest first."""
        query = "SELECT short_id, collection_id, external_id, body FROM links WHERE 1=1"
        args = list[str]()
        if collection_id is not None:
            query, args = query + " AND collection_id = ?", [*args, collection_id]
        if external_id is not None:
            query, args = query + " AND external_id = ?", [*args, external_id]
        rows = self._db.execute(query + " ORDER BY seq", args)
        return [
            StoredLink(short_id, collection, external, bytes(body))
            for short_id, collection, external, body in rows
        ]

    async def get(self, short_id: str) -> StoredLink | None:
        """Return the link named by ``short_id``, if one is stored."""
        row = self._db.execute(
            "SELECT short_id, collection_id, external_id, body FROM links WHERE short_id = ?",
            (short_id,),
        ).fetchone()
        return None if row is None else StoredLink(row[0], row[1], row[2], bytes(row[3]))

    async def count(self) -> int:
        """Return how many links are stored."""
        (count,) = self._db.execute("SELECT count(*) FROM links").fetchone()
        return int(count)

    async def hit(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Count one request of ``key_id`` in its current window and return the window."""
        start, count = await self._writer.run(
            lambda db: _hit_in(db, key_id, window, now), durable=False
        )
        return RateWindow(limit, count, start + window)

    async def peek(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Return ``key_id``'s current window without counting a request."""
        start = window_start(now, window)
        row = self._db.execute(
            "SELECT start, count FROM windows WHERE key_id = ?", (key_id,)
        ).fetchone()
        return RateWindow(
            limit, row[1] if row is not None and row[0] == start else 0, start + window
        )

    async def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the journal, keeping the last ``journal_size`` entries."""
        if self._unsent is None:
            # The entries recorded in one turn of the event loop go to the writer as one insert.
            self._unsent = []
            asyncio.get_running_loop().call_soon(self._send_journal)
        self._unsent.append(orjson.dumps(entry))

    def _send_journal(self) -> None:
        entries, self._unsent, keep = self._unsent, None, self._journal_size
        if not entries:
            return

        def record(db: sqlite3.Connection) -> None:
            db.executemany("INSERT INTO journal (entry) VALUES (?)", [(e,) for e in entries])
            (last,) = db.execute("SELECT last_insert_rowid()").fetchone()
            if last // 100 != (last - len(entries)) // 100:  # trimmed every 100 entries
                db.execute("DELETE FROM journal WHERE seq <= ?", (last - keep,))

        # Nobody waits on a journal entry: it is read back by the writer, after it.
        with contextlib.suppress(WriterStoppedError):  # closed: nothing more is kept
            self._writer.submit(record)

    async def journal(self, limit: int) -> list[dict[str, Any]]:
        """Return the last ``limit`` journal entries, oldest first, every recorded one included."""
        limit = min(limit, self._journal_size)

        def journal(db: sqlite3.Connection) -> list[bytes]:
            rows = db.execute("SELECT entry FROM journal ORDER BY seq DESC LIMIT ?", (limit,))
            return [row[0] for row in rows.fetchall()]

        # Read by the writer, after the entries still queued for it.
        self._send_journal()
        entries: list[bytes] = await self._writer.run(journal, durable=False)
        return [orjson.loads(entry) for entry in reversed(entries)]

    async def reset(self) -> None:
        """Forget every link, externalId, rate-limit window and journal entry."""

        def reset(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM links")
            db.execute("DELETE FROM windows")
            db.execute("DELETE FROM journal")

        self._send_journal()  # what was recorded before the reset goes with it
        await self._writer.run(reset)

    async def close(self) -> None:
        """Commit what is queued, then close both connections."""
        self._send_journal()
        await self._writer.close()
        self._db.close()


def _hit_in(db: sqlite3.Connection, key_id: str, window: float, now: float) -> tuple[float, int]:
    """Count one request of ``key_id`` in ``db``; return its window's start and count."""
    # Another worker may already have opened the next window: a clock read just before the
    # boundary counts there rather than reopening the old window and resetting the new one.
    # (SET reads the row as it was before the update.)
    ((start, count),) = db.execute(
        "INSERT INTO windows (key_id, start, count) VALUES (?, ?, 1) "
        "ON CONFLICT (key_id) DO UPDATE SET "
        "count = CASE WHEN start >= excluded.start THEN count + 1 ELSE 1 END, "
        "start = max(start, excluded.start) "
        "RETURNING start, count",
        (key_id, window_start(now, window)),
    ).fetchall()
    return start, count


def _insert_in(
    db: sqlite3.Connection, links: Sequence[StoredLink], links_total: int | None
) -> InsertRefused | None:
    """Insert every link in ``db`` or none and say why; a refused insert is undone here."""
    # A savepoint of its own, so a refusal undoes the links and not the request's count. The
    # unique indexes catch a taken externalId or shortId during the insert; which one it was
    # is looked up only then, once the rows already in are undone.
    # One row needs none: SQLite undoes a statement that fails, and nothing else is undone then.
    saved = len(links) > 1 or links_total is not None
    if saved:
        db.execute("SAVEPOINT links")
    refused = None
    try:
        # A StoredLink is the row itself: its fields are the columns, in order.
        db.executemany(
            "INSERT INTO links (short_id, collection_id, external_id, body) VALUES (?, ?, ?, ?)",
            links,
        )
    except sqlite3.IntegrityError:
        if saved:
            db.execute("ROLLBACK TO links")
        refused = _taken_external_ids(db, links) or InsertRefused(short_id_collision=True)
    else:
        if links_total is not None:
            (stored,) = db.execute("SELECT count(*) FROM links").fetchone()
            if stored > links_total:
                db.execute("ROLLBACK TO links")
                refused = InsertRefused(links_total=links_total, links_stored=stored - len(links))
    if saved:
        db.execute("RELEASE links")
    return refused


def _taken_external_ids(
    db: sqlite3.Connection, links: Sequence[StoredLink]
) -> InsertRefused | None:
    """Say which externalIds of ``links`` are stored already, if any are."""
    external_ids = [link.external_id for link in links if link.external_id is not None]
    taken: list[str] = []
    for chunk in _chunks(external_ids):
        marks = ",".join("?" * len(chunk))
        query = f"SELECT external_id FROM links WHERE external_id IN ({marks})"  # noqa: S608
        taken.extend(row[0] for row in db.execute(query, chunk))
    return InsertRefused(taken_external_ids=tuple(taken)) if taken else None
