"""The proxy as an ASGI app: every request forwarded, every ``POST /api/links`` judged."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import orjson

import openapi
from contract_tests.proxy.errors import ProxyError, UpstreamError
from contract_tests.proxy.forwarding import Answer, Upstream, end_to_end
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Headers, Traffic
from contract_tests.proxy.violations import Violation, ViolationLog, header_value

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Recorder = Callable[[Traffic], None]

CONTROL_PREFIX = "/__proxy/"
VIOLATIONS_HEADER = b"hoko-contract-violations"
JUDGED = (openapi.LINKS_METHOD.upper(), openapi.LINKS_PATH)
# Bodies of exchanges that are not judged are streamed; the HAR keeps at most this much of each.
RECORDED_STREAM_BYTES = 1024 * 1024
# Exchanges up to this size are judged and recorded on the event loop, bigger ones in a thread.
INLINE_BYTES = 64 * 1024
FORWARDED_ELSEWHERE = frozenset({b"host"})  # the upstream gets its own Host
YOUNG_COLLECTION_THRESHOLD = 20_000


class Judge(Protocol):
    """What the proxy asks of its judge: read a big request early, then judge the exchange."""

    def read_ahead(self, traffic: Traffic) -> None:
        """Read the request body whole, before the answer comes."""

    def judge(self, traffic: Traffic) -> list[Violation]:
        """Return the violations of one exchange."""

    def forget(self) -> None:
        """Let go of what the latest judgement read."""

    def close(self) -> None:
        """Release what the judge holds: its processes."""


class ClientGoneError(ProxyError):
    """The client went away before its request body was sent whole."""


class ProxyApp:
    """Forwards to the upstream, judges ``POST /api/links``, hands every exchange to ``record``."""

    def __init__(
        self,
        settings: ProxySettings,
        judge: Judge | None = None,
        record: Recorder | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.upstream = Upstream(settings)
        self.violations = ViolationLog(settings.keep)
        self.judge = judge
        self.record = record
        self.log = log or _to_stderr
        # Small exchanges are judged on the event loop: handing each to a thread costs a GIL
        # switch interval (5 ms) under load. Big ones go to one thread, so a 10,000-link
        # judgement does not stall every other connection; the lock keeps them in turn.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hoko-proxy")
        self.turn = threading.Lock()
        self.exchanges = 0
        self.in_flight = 0  # exchanges forwarded and not yet answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            guarded = _GuardedSend(send)
            try:
                if scope["path"].startswith(CONTROL_PREFIX):
                    await self.control(scope, guarded)
                else:
                    await self.forward(scope, receive, guarded)
            except Exception as error:  # noqa: BLE001 - one line and a 502, never a traceback
                self.log(f"hoko-contract proxy: internal error: {type(error).__name__}: {error}")
                if not guarded.started:
                    problem = {"proxyError": "proxy-error", "message": str(error)[:300]}
                    await _json(guarded, 502, problem)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Close the upstream pool and wait for pending records on shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The suite's modules, the spec and the compiled validators live as long as the
                # process: frozen, a full collection no longer walks them under a request (the
                # proxy's 1-link p99 was 15-32 ms, 9 ms frozen). A 10,000-link judgement holds
                # ~40,000 containers at once; a young generation of 700 was collected ~60 times.
                # One of 100,000 spares it two more (6-11 ms) but puts the 1-link p99 at 31-47 ms.
                gc.collect()
                gc.freeze()
                gc.set_threshold(YOUNG_COLLECTION_THRESHOLD)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def close(self) -> None:
        """Close the upstream pool and finish every pending judgement and record."""
        await self.upstream.close()
        self.worker.shutdown(wait=True)
        if self.judge is not None:
            self.judge.close()

    async def control(self, scope: Scope, send: Send) -> None:
        """Answer the proxy's own endpoints."""
        path, method = scope["path"], scope["method"]
        if path not in ("/__proxy/violations", "/__proxy/health"):
            await _json(send, 404, {"proxyError": "not-found", "message": f"no {path} here"})
        elif method not in ("GET", "HEAD"):
            await _json(send, 405, {"proxyError": "method-not-allowed", "message": "GET only"})
        elif path == "/__proxy/health":
            health = {
                "status": "ok",
                "upstream": self.settings.upstream_base,
                "exchanges": self.exchanges,
                "violations": self.violations.total,
            }
            await _json(send, 200, health)
        else:
            query = urllib.parse.parse_qs(scope["query_string"].decode("latin-1"))
            raw_limit = query.get("limit", [""])[0]
            if raw_limit and not raw_limit.isdigit():
                problem = {"proxyError": "bad-limit", "message": "limit must be a whole number"}
                await _json(send, 400, problem)
                return
            await _json(send, 200, self.violations.listing(int(raw_limit) if raw_limit else None))

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one request; answer 502/504 JSON when the upstream gives no usable answer."""
        self.exchanges += 1
        number = self.exchanges
        started = time.monotonic()
        deadline = started + self.settings.timeout
        method = scope["method"]
        judged = self.judge is not None and (method, scope["path"]) == JUDGED
        headers: Headers = list(scope["headers"])
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = self.upstream.target(raw_path, scope["query_string"])
        forwarded = end_to_end(headers, FORWARDED_ELSEWHERE)
        traffic = Traffic(
            time.time(), method, self.upstream.url(raw_path, scope["query_string"]),
            scope.get("http_version", "1.1"), forwarded,
        )  # fmt: skip
        copy: list[bytes] | None = [] if judged else None
        body = self._request_body(receive, traffic, copy) if _has_body(headers) else None
        response: Answer | None = None
        alone, answered = self.in_flight == 0, False
        self.in_flight += 1
        try:
            response = await self.upstream.open(method, target, forwarded, body, deadline)
            traffic.status = response.status
            traffic.response_headers = list(response.headers)
            if copy is not None:
                if traffic.request_body is None and body is not None:
                    traffic.request_body = b"".join(copy)  # what was sent of a body cut short
                traffic.response_body = await self.upstream.read(response, deadline)
                traffic.response_size = len(traffic.response_body)
                traffic.elapsed = time.monotonic() - started
                # Alone: no other exchange was in flight from this one's start to its answer.
                traffic.number, traffic.alone = number, alone and self.exchanges == number
                self.in_flight, answered = self.in_flight - 1, True  # the upstream is done with it
                await self._answer_judged(send, traffic, number)
            else:
                await self._stream(send, response, traffic, deadline, started)
        except UpstreamError as error:
            traffic.failure, traffic.elapsed = str(error), time.monotonic() - started
            if traffic.status is None or copy is not None:
                traffic.note = f"{error.status} from the proxy"
                await _json(send, error.status, _problem(error))
            self._record(traffic)
        except ClientGoneError:
            traffic.failure = traffic.failure or "the client went away mid-request"
            self._record(traffic)
        finally:
            self.in_flight -= 0 if answered else 1
            if response is not None:
                self.upstream.release(response)

    async def _answer_judged(self, send: Send, traffic: Traffic, number: int) -> None:
        if _size(traffic) <= INLINE_BYTES:
            await self._send_judged(send, traffic, self._judge_and_record(traffic, number))
            return
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.worker, self._judge_in_turn, traffic, number)
        try:
            await self._send_judged(send, traffic, found)
        finally:
            # Recorded (a HAR entry of megabytes), and its JSON freed, once the answer has left.
            self._record(traffic)
            if self.judge is not None:
                self.worker.submit(self._forget_in_turn)

    async def _send_judged(self, send: Send, traffic: Traffic, found: list[Violation]) -> None:
        assert traffic.response_body is not None
        assert traffic.status is not None
        if found and self.settings.fail_on_violation:
            replaced = {
                "proxyError": "contract-violation",
                "message": f"{len(found)} violation(s) of the Hoko contract; the upstream "
                f"answered {traffic.status}",
                "upstreamStatus": traffic.status,
                "violations": [violation.as_json() for violation in found],
            }
            await _json(send, 502, replaced, [(VIOLATIONS_HEADER, header_value(found).encode())])
            return
        headers = end_to_end(traffic.response_headers)
        if found:
            headers.append((VIOLATIONS_HEADER, header_value(found).encode()))
        await send({"type": "http.response.start", "status": traffic.status, "headers": headers})
        await send({"type": "http.response.body", "body": traffic.response_body})

    def _judge_and_record(self, traffic: Traffic, number: int) -> list[Violation]:
        with self.turn:
            found = self._judged(traffic, number)
            if self.record is not None:
                self.record(traffic)
            return found

    def _judge_in_turn(self, traffic: Traffic, number: int) -> list[Violation]:
        with self.turn:
            return self._judged(traffic, number)

    def _forget_in_turn(self) -> None:
        # What the judge learns then, an inline judgement on the event loop may be reading.
        assert self.judge is not None
        with self.turn:
            self.judge.forget()

    def _judged(self, traffic: Traffic, number: int) -> list[Violation]:
        assert self.judge is not None
        try:
            found = self.judge.judge(traffic)
        except Exception as error:  # noqa: BLE001 - the answer still goes back, unjudged
            self.log(f"hoko-contract proxy: exchange {number} not judged: {error!r}"[:500])
            found = []
        if found:
            found = [
                Violation(**{**violation.__dict__, "exchange": number, "at": traffic.started})
                for violation in found
            ]
            self.violations.add(found)
            if not self.settings.quiet:
                for violation in found:
                    self.log(f"hoko-contract proxy: exchange {number}: {violation.text}")
            if self.settings.fail_on_violation:
                traffic.note = f"replaced by a 502 listing {len(found)} violation(s)"
        return found

    async def _stream(
        self,
        send: Send,
        response: Answer,
        traffic: Traffic,
        deadline: float,
        started: float,
    ) -> None:
        kept: list[bytes] = []
        head = {"type": "http.response.start", "status": response.status}
        await send({**head, "headers": end_to_end(response.headers)})
        try:
            async for chunk in self.upstream.chunks(response, deadline):
                traffic.response_size += len(chunk)
                if traffic.response_size <= RECORDED_STREAM_BYTES:
                    kept.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamError as error:
            # The status has gone out: all that is left is to cut the connection.
            traffic.failure = f"answer cut short: {error}"
            traffic.note = "the connection to the client was closed mid-answer"
            raise ClientGoneError(str(error)) from None
        finally:
            traffic.elapsed = time.monotonic() - started
            if traffic.response_size <= RECORDED_STREAM_BYTES:
                traffic.response_body = b"".join(kept)
        await send({"type": "http.response.body", "body": b""})
        self._record(traffic)

    def _record(self, traffic: Traffic) -> None:
        if self.record is None:
            return
        if _size(traffic) <= INLINE_BYTES:
            with self.turn:
                self.record(traffic)
        else:
            self.worker.submit(self._record_in_turn, traffic)

    def _record_in_turn(self, traffic: Traffic) -> None:
        assert self.record is not None
        with self.turn:
            self.record(traffic)

    async def _request_body(
        self, receive: Receive, traffic: Traffic, copy: list[bytes] | None
    ) -> AsyncIterator[bytes]:
        """Yield the client's body as it arrives, keeping a copy when the exchange is judged."""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGoneError("the client went away mid-request")
            chunk = message.get("body", b"")
            if chunk:
                traffic.request_size += len(chunk)
                if copy is not None:
                    copy.append(chunk)
                yield chunk
            if not message.get("more_body", False):
                if copy is not None:
                    self._read_whole(traffic, copy)
                return

    def _read_whole(self, traffic: Traffic, copy: list[bytes]) -> None:
        traffic.request_body = b"".join(copy)
        # A big body is read while the upstream works on it, by the thread that will judge it.
        if self.judge is not None and len(traffic.request_body) > INLINE_BYTES:
            self.worker.submit(self.judge.read_ahead, traffic)


class _GuardedSend:
    """The ASGI send, remembering whether the response has started."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def _size(traffic: Traffic) -> int:
    return len(traffic.request_body or b"") + len(traffic.response_body or b"")


def _has_body(headers: Headers) -> bool:
    return any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers)


def _problem(error: UpstreamError) -> dict[str, Any]:
    return {"proxyError": error.kind, "message": error.detail}


async def _json(send: Send, status: int, body: Any, extra: Headers | None = None) -> None:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
