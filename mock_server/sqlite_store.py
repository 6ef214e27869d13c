"""A LinkStore in a SQLite file (WAL): survives restarts and is shared by worker processes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import orjson

from mock_server.errors import ConfigError
from mock_server.store import AdmitInSteps, InsertRefused, RateWindow, StoredLink, window_start

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS links (
    seq INTEGER PRIMARY KEY,
    short_id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL,
    external_id TEXT UNIQUE,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS links_collection ON links (collection_id);
CREATE TABLE IF NOT EXISTS windows (
    key_id TEXT PRIMARY KEY, start REAL NOT NULL, count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
"""
CHUNK: Final = 500  # stays under SQLite's limit on bound parameters


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class SqliteStore(AdmitInSteps):
    """Each method runs in one IMMEDIATE transaction, so it is atomic across processes."""

    def __init__(self, path: str, journal_size: int = 1000) -> None:
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise ConfigError(
                "state", f"cannot use {path!r} as a SQLite state file: {error}"
            ) from None
        self._journal_size = journal_size

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

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
        """Store every link, or none of them and say why."""
        external_ids = [link.external_id for link in links if link.external_id is not None]
        try:
            with self._transaction() as db:
                taken: list[str] = []
                for chunk in _chunks(external_ids):
                    marks = ",".join("?" * len(chunk))
                    query = f"SELECT external_id FROM links WHERE external_id IN ({marks})"  # noqa: S608
                    taken.extend(row[0] for row in db.execute(query, chunk))
                if taken:
                    return InsertRefused(taken_external_ids=tuple(taken))
                if links_total is not None:
                    (stored,) = db.execute("SELECT count(*) FROM links").fetchone()
                    if stored + len(links) > links_total:
                        return InsertRefused(links_total=links_total, links_stored=stored)
                db.executemany(
                    "INSERT INTO links (short_id, collection_id, external_id, body)"
                    " VALUES (?, ?, ?, ?)",
                    [
                        (link.short_id, link.collection_id, link.external_id, link.body)
                        for link in links
                    ],
                )
        except sqlite3.IntegrityError:
            # Another worker took one of these shortIds between the check and this insert.
            return InsertRefused(short_id_collision=True)
        return None

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
        start = window_start(now, window)
        with self._transaction() as db:
            row = db.execute(
                "SELECT start, count FROM windows WHERE key_id = ?", (key_id,)
            ).fetchone()
            if row is not None and row[0] > start:
                # Another worker already opened the next window; a clock read just before the
                # boundary must count there, not reopen the old window and reset the new one.
                start = row[0]
            count = row[1] + 1 if row is not None and row[0] == start else 1
            db.execute(
                "INSERT INTO windows (key_id, start, count) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET start = excluded.start, count = excluded.count",
                (key_id, start, count),
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
        with self._transaction() as db:
            cursor = db.execute("INSERT INTO journal (entry) VALUES (?)", (orjson.dumps(entry),))
            if cursor.lastrowid is not None and cursor.lastrowid % 100 == 0:
                db.execute(
                    "DELETE FROM journal WHERE seq <= ?", (cursor.lastrowid - self._journal_size,)
                )

    async def journal(self, limit: int) -> list[dict[str, Any]]:
        """Return the last ``limit`` journal entries, oldest first."""
        limit = min(limit, self._journal_size)
        rows = self._db.execute("SELECT entry FROM journal ORDER BY seq DESC LIMIT ?", (limit,))
        return [orjson.loads(row[0]) for row in reversed(rows.fetchall())]

    async def reset(self) -> None:
        """Forget every link, externalId, rate-limit window and journal entry."""
        with self._transaction() as db:
            db.execute("DELETE FROM links")
            db.execute("DELETE FROM windows")
            db.execute("DELETE FROM journal")

    async def close(self) -> None:
        """Close the database connection."""
        self._db.close()
