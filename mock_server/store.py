"""Where the mock keeps links, rate-limit windows and the request journal: the interface and RAM."""

from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


class StoredLink(NamedTuple):
    """A created link: the keys it is found by, and its JSON as answered minus derived fields."""

    short_id: str
    collection_id: str
    external_id: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class RateWindow:
    """One key's fixed rate-limit window after counting (or peeking at) a request."""

    limit: int
    count: int
    resets_at: float

    @property
    def remaining(self) -> int:
        """Return the requests still allowed in this window."""
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        """Return whether the counted request is over the limit."""
        return self.count > self.limit

    def headers(self) -> list[tuple[bytes, bytes]]:
        """Return the X-RateLimit-* headers describing this window."""
        return [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % math.ceil(self.resets_at)),
        ]

    def retry_after(self, now: float) -> int:
        """Return the whole seconds until the window resets, at least 1."""
        return max(1, math.ceil(self.resets_at - now))


@dataclass(frozen=True, slots=True)
class InsertRefused:
    """Why a batch was not stored: externalIds taken, the plan's total cap, or a shortId race."""

    taken_external_ids: tuple[str, ...] = ()
    links_total: int | None = None
    links_stored: int = 0
    short_id_collision: bool = False


def window_start(now: float, window: float) -> float:
    """Return the start of the fixed window containing ``now``; windows align to the epoch."""
    return math.floor(now / window) * window


class LinkStore(Protocol):
    """Everything the mock keeps between requests; each coroutine is atomic."""

    async def short_ids_taken(self, short_ids: Sequence[str]) -> set[str]:
        """Return which of ``short_ids`` already name a stored link."""

    async def insert(
        self, links: Sequence[StoredLink], links_total: int | None
    ) -> InsertRefused | None:
        """Store every link, or none of them and say why."""

    async def admit(
        self,
        key_id: str | None,
        limit: int,
        window: float,
        now: float,
        links: Sequence[StoredLink],
        links_total: int | None,
    ) -> tuple[RateWindow | None, InsertRefused | None]:
        """Count a request of ``key_id`` (if any); within its limit store every link or none."""

    async def find(self, collection_id: str | None, external_id: str | None) -> list[StoredLink]:
        """Return the stored links matching the filters, oldest first."""

    async def get(self, short_id: str) -> StoredLink | None:
        """Return the link named by ``short_id``, if one is stored."""

    async def count(self) -> int:
        """Return how many links are stored."""

    async def hit(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Count one request of ``key_id`` in its current window and return the window."""

    async def peek(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Return ``key_id``'s current window without counting a request."""

    async def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the journal."""

    async def journal(self, limit: int) -> list[dict[str, Any]]:
        """Return the last ``limit`` journal entries, oldest first."""

    async def reset(self) -> None:
        """Forget every link, externalId, rate-limit window and journal entry."""

    async def close(self) -> None:
        """Release whatever the store holds open."""


class MemoryStore:
    """A LinkStore in process memory; atomic because the event loop runs one call at a time."""

    # Each link is spread over dicts of str and bytes only, which the cyclic GC never tracks: a
    # collection walks none of the stored links, however many there are.

    def __init__(self, journal_size: int = 1000) -> None:
        self._bodies: dict[str, bytes] = {}  # by shortId, oldest first
        self._collection_of: dict[str, str] = {}
        self._external_id_of: dict[str, str] = {}
        self._by_external_id: dict[str, str] = {}
        self._windows: dict[str, tuple[float, int]] = {}
        self._journal: collections.deque[dict[str, Any]] = collections.deque(maxlen=journal_size)

    def _link(self, short_id: str) -> StoredLink:
        return StoredLink(
            short_id,
            self._collection_of[short_id],
            self._external_id_of.get(short_id),
            self._bodies[short_id],
        )

    async def short_ids_taken(self, short_ids: Sequence[str]) -> set[str]:
        """Return which of ``short_ids`` already name a stored link."""
        return self._bodies.keys() & set(short_ids)

    async def insert(
        self, links: Sequence[StoredLink], links_total: int | None
    ) -> InsertRefused | None:
        """Store every link, or none of them and say why."""
        return self._insert(links, links_total, [link[0] for link in links])

    async def admit(
        self,
        key_id: str | None,
        limit: int,
        window: float,
        now: float,
        links: Sequence[StoredLink],
        links_total: int | None,
    ) -> tuple[RateWindow | None, InsertRefused | None]:
        """Count a request of ``key_id`` (if any); within its limit store every link or none."""
        # One synchronous pass: no other request runs between the count and the insert.
        counted = None if key_id is None else self._count(key_id, limit, window, now)
        if (counted is not None and counted.exceeded) or not links:
            return counted, None
        short_ids = [link[0] for link in links]
        if not self._bodies.keys().isdisjoint(short_ids):
            return counted, InsertRefused(short_id_collision=True)
        return counted, self._insert(links, links_total, short_ids)

    def _insert(
        self, links: Sequence[StoredLink], links_total: int | None, short_ids: list[str]
    ) -> InsertRefused | None:
        by_external_id = self._by_external_id
        with_external_id = [(link[2], link[0]) for link in links if link[2] is not None]
        if with_external_id and not by_external_id.keys().isdisjoint(
            [external_id for external_id, _ in with_external_id]
        ):
            taken = tuple(e for e, _ in with_external_id if e in by_external_id)
            return InsertRefused(taken_external_ids=taken)
        bodies, collection_of = self._bodies, self._collection_of
        if links_total is not None and len(bodies) + len(links) > links_total:
            return InsertRefused(links_total=links_total, links_stored=len(bodies))
        # Paired in C: a 10,000-link batch would spend milliseconds in a Python loop.
        bodies.update(zip(short_ids, [link[3] for link in links], strict=True))
        collection_of.update(zip(short_ids, [link[1] for link in links], strict=True))
        if with_external_id:
            by_external_id.update(with_external_id)
            self._external_id_of.update((s, e) for e, s in with_external_id)
        return None

    async def find(self, collection_id: str | None, external_id: str | None) -> list[StoredLink]:
        """Return the stored links matching the filters, oldest first."""
        if external_id is not None:
            found = self._by_external_id.get(external_id)
            candidates: Iterable[str] = [found] if found is not None else []
        else:
            candidates = self._bodies
        collection_of = self._collection_of
        return [
            self._link(short_id)
            for short_id in candidates
            if collection_id is None or collection_of[short_id] == collection_id
        ]

    async def get(self, short_id: str) -> StoredLink | None:
        """Return the link named by ``short_id``, if one is stored."""
        return self._link(short_id) if short_id in self._bodies else None

    async def count(self) -> int:
        """Return how many links are stored."""
        return len(self._bodies)

    async def hit(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Count one request of ``key_id`` in its current window and return the window."""
        return self._count(key_id, limit, window, now)

    def _count(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        start = window_start(now, window)
        current_start, count = self._windows.get(key_id, (start, 0))
        # A clock read before a concurrent request opened the next window counts there: the
        # body is read between the two, so reopening the old window would reset the new one.
        start = max(start, current_start)
        count = count + 1 if current_start == start else 1
        self._windows[key_id] = (start, count)
        return RateWindow(limit, count, start + window)

    async def peek(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Return ``key_id``'s current window without counting a request."""
        start = window_start(now, window)
        current_start, count = self._windows.get(key_id, (start, 0))
        return RateWindow(limit, count if current_start == start else 0, start + window)

    async def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the journal."""
        self._journal.append(entry)

    async def journal(self, limit: int) -> list[dict[str, Any]]:
        """Return the last ``limit`` journal entries, oldest first."""
        entries = list(self._journal)
        return entries[-limit:] if limit > 0 else []

    async def reset(self) -> None:
        """Forget every link, externalId, rate-limit window and journal entry."""
        self._bodies.clear()
        self._collection_of.clear()
        self._external_id_of.clear()
        self._by_external_id.clear()
        self._windows.clear()
        self._journal.clear()

    async def close(self) -> None:
        """Release whatever the store holds open."""
