"""The store's scripts by EVALSHA; calls made while a round trip is under way share the next."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError


@dataclass(frozen=True, slots=True)
class Call:
    """One script call waiting for its reply."""

    script: AsyncScript
    keys: Sequence[str]
    args: Sequence[Any]
    reply: asyncio.Future[Any]


def _settle(call: Call, outcome: Any) -> None:
    if call.reply.done():
        return  # its request was cancelled meanwhile
    if isinstance(outcome, asyncio.CancelledError):
        call.reply.cancel()
    elif isinstance(outcome, BaseException):
        call.reply.set_exception(outcome)
    else:
        call.reply.set_result(outcome)


class ScriptCalls:
    """Runs registered scripts on one client, every call queued meanwhile in one pipeline."""

    def __init__(self, client: redis.asyncio.Redis, scripts: Mapping[str, str]) -> None:
        self.client = client
        # Registered once: a call sends the script's SHA, and its text only if Redis lost it.
        self._scripts = {name: client.register_script(text) for name, text in scripts.items()}
        self._queued: list[Call] = []
        self._sender: asyncio.Task[None] | None = None

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run script ``name`` and return its reply, or raise what Redis or the socket raised."""
        loop = asyncio.get_running_loop()
        call = Call(self._scripts[name], keys, args, loop.create_future())
        self._queued.append(call)
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send())
        return await call.reply

    async def _send(self) -> None:
        while self._queued:
            calls, self._queued = self._queued, []
            try:
                replies = await self._round_trip(calls)
            except BaseException as error:  # every waiting request hears of it, then the next
                for call in calls:
                    _settle(call, error)
                if isinstance(error, asyncio.CancelledError):
                    for call in self._queued:
                        _settle(call, error)
                    raise
                continue
            for call, reply in zip(calls, replies, strict=True):
                _settle(call, reply)

    async def _round_trip(self, calls: list[Call]) -> list[Any]:
        replies = await self._pipelined(calls)
        lost = [index for index, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if lost:
            # Redis restarted or flushed its scripts: those calls did not run, so they may again.
            for script in {calls[index].script for index in lost}:
                await self.client.script_load(script.script)
            again = await self._pipelined([calls[index] for index in lost])
            for index, reply in zip(lost, again, strict=True):
                replies[index] = reply
        return replies

    async def _pipelined(self, calls: list[Call]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for call in calls:
                pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies
