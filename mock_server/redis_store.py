"""A LinkStore on a Redis server, shared by every replica; each guarantee held by one script."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import importlib.resources
from collections.abc import Iterator, Sequence
from typing import Any, Final

import orjson
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from mock_server.config import shown_state
from mock_server.errors import ConfigError, StoreUnavailableError
from mock_server.redis_calls import ScriptCalls
from mock_server.store import InsertRefused, RateWindow, StoredLink

# Bounded waits: a lost Redis answers 503 within these, never hangs a request.
CONNECT_TIMEOUT: Final = 2.0
SOCKET_TIMEOUT: Final = 5.0
# The journal is flushed in the background; while Redis is away it waits here, bounded.
RETRY_FLUSH_AFTER: Final = 0.5
MICROSECONDS: Final = 1_000_000
SCAN_BATCH: Final = 1000


def _scripts() -> dict[str, str]:
    text = importlib.resources.files("mock_server").joinpath("redis_store.lua").read_text("utf-8")
    sections = (section.split("\n", 1) for section in text.split("\n--- ")[1:])
    return {name.strip(): body for name, body in sections}


SCRIPTS: Final = _scripts()


def _record(link: StoredLink) -> str:
    return orjson.dumps((link.collection_id, link.external_id, link.body.decode())).decode()


def _link(short_id: str | bytes, record: bytes | str) -> StoredLink:
    collection_id, external_id, body = orjson.loads(record)
    name = short_id.decode() if isinstance(short_id, bytes) else short_id
    return StoredLink(name, collection_id, external_id, body.encode())


class RedisStore:
    """Links, externalIds, rate windows and the journal of one workspace, in one Redis slot."""

    def __init__(
        self,
        url: str,
        prefix: str = "hoko-mock",
        journal_size: int = 1000,
        *,
        caller_clock: bool = False,
    ) -> None:
        self.name = f"redis {shown_state(url)}"
        options: dict[str, Any] = {
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": SOCKET_TIMEOUT,
            # A script may have run before its connection broke: never send it twice.
            "retry": Retry(NoBackoff(), 0),
            # RESP2 whatever the client's default: Redis 5 knows no other, and replies are alike.
            "protocol": 2,
        }
        try:
            probe = redis.Redis.from_url(url, **options)
            with contextlib.closing(probe):
                probe.ping()
        except (RedisError, ValueError, OSError) as error:
            raise ConfigError("state", f"cannot use {self.name}: {error}") from None
        self._url, self._options = url, options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: ScriptCalls | None = None
        tag = "{" + prefix + "}"
        self._links_key = f"{tag}:links"
        self._external_key = f"{tag}:external"
        self._order_key = f"{tag}:order"
        self._journal_key = f"{tag}:journal"
        self._window_prefix = f"{tag}:window:"
        self._journal_size = journal_size
        # Tests pass fixed clocks; served requests use Redis's TIME, the one clock of all replicas.
        self._caller_clock = caller_clock
        self._pending: collections.deque[bytes] = collections.deque(maxlen=journal_size)
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock: asyncio.Lock | None = None

    def _for_this_loop(self) -> tuple[ScriptCalls, asyncio.Lock]:
        # Connections belong to one event loop; a store opened before serving, or reused by
        # tests that each run their own loop, connects afresh in the loop that calls it.
        loop = asyncio.get_running_loop()
        if self._calls is None or self._flush_lock is None or self._loop is not loop:
            client = redis.asyncio.Redis.from_url(self._url, **self._options)
            self._calls = ScriptCalls(client, SCRIPTS)
            self._loop, self._flush_lock, self._flusher = loop, asyncio.Lock(), None
        return self._calls, self._flush_lock

    @property
    def _client(self) -> redis.asyncio.Redis:
        return self._for_this_loop()[0].client

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        # uvloop raises RuntimeError when the client writes to a transport Redis just closed.
        except (RedisError, OSError, RuntimeError) as error:
            raise StoreUnavailableError(self.name, str(error) or type(error).__name__) from None

    async def _run(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._for_this_loop()[0].run(script, keys, args)

    def _fixed_keys(self) -> list[str]:
        return [self._links_key, self._external_key, self._order_key]

    def _clock(self, now: float) -> str:
        return str(round(now * MICROSECONDS)) if self._caller_clock else ""

    async def admit(
        self,
        key_id: str | None,
        limit: int,
        window: float,
        now: float,
        links: Sequence[StoredLink],
        links_total: int | None,
        *,
        peek: bool = False,
    ) -> tuple[RateWindow | None, InsertRefused | None]:
        """Count a request of ``key_id`` (if any, or ``peek``); within its limit store the links."""
        mode = "" if key_id is None else "peek" if peek else "count"
        args: list[str | bytes] = [
            mode,
            str(limit),
            str(max(1, round(window * MICROSECONDS))),
            self._clock(now),
            "" if links_total is None else str(links_total),
            # One argument for the batch: Redis parses it in C; 30,000 would cost Python dearly.
            orjson.dumps([(link.short_id, link.external_id, _record(link)) for link in links])
            if links
            else "",
        ]
        window_key = self._window_prefix + (key_id or "-")
        with self._reaching():
            reply = await self._run("admit", [*self._fixed_keys(), window_key], args)
        count, resets_at, outcome, *details = reply
        counted = None
        if key_id is not None:
            counted = RateWindow(limit, int(count), int(resets_at) / MICROSECONDS)
        if outcome == b"taken":
            return counted, InsertRefused(taken_external_ids=tuple(d.decode() for d in details))
        if outcome == b"total":
            return counted, InsertRefused(links_total=links_total, links_stored=int(details[0]))
        if outcome == b"collision":
            return counted, InsertRefused(short_id_collision=True)
        return counted, None

    async def short_ids_taken(self, short_ids: Sequence[str]) -> set[str]:
        """Return which of ``short_ids`` already name a stored link."""
        if not short_ids:
            return set()
        with self._reaching():
            found = await self._client.hmget(self._links_key, list(short_ids))
        return {short_id for short_id, record in zip(short_ids, found, strict=True) if record}

    async def insert(
        self, links: Sequence[StoredLink], links_total: int | None
    ) -> InsertRefused | None:
        """Store every link, or none of them and say why."""
        _, refused = await self.admit(None, 0, 1, 0, links, links_total)
        return refused

    async def find(self, collection_id: str | None, external_id: str | None) -> list[StoredLink]:
        """Return the stored links matching the filters, oldest first."""
        with self._reaching():
            if external_id is not None:
                keys = [self._links_key, self._external_key]
                named = await self._run("find_external", keys, [external_id])
                found = [_link(*named)] if named else []
            else:
                async with self._client.pipeline(transaction=True) as pipe:
                    pipe.lrange(self._order_key, 0, -1)
                    pipe.hgetall(self._links_key)
                    order, records = await pipe.execute()
                found = [_link(short_id, records[short_id]) for short_id in order]
        return [link for link in found if collection_id in (None, link.collection_id)]

    async def get(self, short_id: str) -> StoredLink | None:
        """Return the link named by ``short_id``, if one is stored."""
        with self._reaching():
            record = await self._client.hget(self._links_key, short_id)
        return None if record is None else _link(short_id, record)

    async def count(self) -> int:
        """Return how many links are stored."""
        with self._reaching():
            return int(await self._client.hlen(self._links_key))

    async def hit(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Count one request of ``key_id`` in its current window and return the window."""
        counted, _ = await self.admit(key_id, limit, window, now, (), None)
        assert counted is not None
        return counted

    async def peek(self, key_id: str, limit: int, window: float, now: float) -> RateWindow:
        """Return ``key_id``'s current window without counting a request."""
        peeked, _ = await self.admit(key_id, limit, window, now, (), None, peek=True)
        assert peeked is not None
        return peeked

    async def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the journal; requests answered meanwhile share one write."""
        self._pending.append(orjson.dumps(entry))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_until_empty())

    async def _flush_until_empty(self) -> None:
        while self._pending:
            try:
                await self._flush()
            except StoreUnavailableError:
                await asyncio.sleep(RETRY_FLUSH_AFTER)  # kept, bounded, until Redis is back

    async def _flush(self) -> None:
        _, lock = self._for_this_loop()
        async with lock:  # a reader waits for the write under way
            entries = list(self._pending)
            if not entries:
                return
            self._pending.clear()
            try:
                with self._reaching():
                    await self._run("journal", [self._journal_key], [self._journal_size, *entries])
            except BaseException:
                # Put them back before what arrived meanwhile; the bound keeps the newest.
                arrived = list(self._pending)
                self._pending.clear()
                self._pending.extend(entries + arrived)
                raise

    async def journal(self, limit: int) -> list[dict[str, Any]]:
        """Return the last ``limit`` journal entries, oldest first."""
        if limit <= 0:
            return []
        await self._flush()
        limit = min(limit, self._journal_size)
        with self._reaching():
            entries = await self._client.lrange(self._journal_key, -limit, -1)
        return [orjson.loads(entry) for entry in entries]

    async def reset(self) -> None:
        """Forget every link, externalId, rate-limit window and journal entry."""
        calls, lock = self._for_this_loop()
        async with lock:  # a journal write under way lands before the reset, not after
            with self._reaching():
                match = self._window_prefix + "*"
                scan = calls.client.scan_iter(match=match, count=SCAN_BATCH)
                windows = [key async for key in scan]
                keys = [*self._fixed_keys(), self._journal_key, *windows]
                await self._run("reset", keys, [])
            self._pending.clear()

    async def close(self) -> None:
        """Flush the journal if Redis answers, then close the connections."""
        with contextlib.suppress(StoreUnavailableError):
            await self._flush()
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
        if self._calls is not None and self._loop is asyncio.get_running_loop():
            await self._calls.client.aclose()
        self._calls = None
