"""HTTP to the server under test: every request counted, bounded in time, and 429s waited out."""

from __future__ import annotations

import json
import shlex
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

from contract_tests.errors import (
    RunStoppedError,
    ServerUnreachableError,
    StillRateLimitedError,
    TransportFailureError,
)
from contract_tests.settings import RunSettings

MAX_SHOWN_BODY = 600
# A longer body goes in a file next to the curl line rather than on it.
MAX_INLINE_CURL_BODY = 8_000
MAX_RATE_LIMIT_RETRIES = 3
# A bigger answer is cut off: 10,000 maximal links fit in well under this.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# After this many refused connections in a row the server is gone, not misbehaving.
MAX_REFUSED_IN_A_ROW = 5
ABSENT: Any = object()
_UNPARSED: Any = object()


def json_value(body: bytes) -> Any:
    """Return the JSON value of ``body`` as ``json.loads`` reads it; ValueError if it is none."""
    # orjson reads RFC 8259 JSON several times faster; what it refuses that json still reads
    # (NaN, integers past 64 bits, UTF-16, a BOM) goes to json, so the reading stays json's.
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


@dataclass(frozen=True)
class Sent:
    """A request as it went on the wire."""

    url: str
    headers: Mapping[str, str]
    body: bytes | None

    def curl(self) -> str:
        """Return a curl line that sends this request again, key included."""
        parts = ["curl", "-X", "POST", self.url]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.body is not None and len(self.body) > MAX_INLINE_CURL_BODY:
            parts += ["--data-binary", "@body.json"]
            size = len(self.body)
            return f"{shlex.join(parts)}  # body.json: the {size}-byte body shown under 'sent'"
        if self.body is None:
            return shlex.join(parts)
        try:
            return shlex.join([*parts, "--data-binary", self.body.decode("utf-8")])
        except UnicodeDecodeError:
            # Invalid UTF-8 cannot stand in a text report; bash's $'...' carries the exact bytes.
            return f"{shlex.join(parts)} --data-binary {_ansi_c_quoted(self.body)}"

    def describe(self) -> str:
        """Return the request for humans, with any key masked."""
        shown = {
            k: (_mask(v) if k.lower() == "authorization" else v) for k, v in self.headers.items()
        }
        headers = ", ".join(f"{k}: {v}" for k, v in shown.items()) or "no headers"
        return f"POST {self.url} [{headers}] body: {_shorten(self.body)}"


@dataclass(frozen=True)
class Received:
    """A response: status, headers (names lower-cased) and raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float = 0.0
    # Read once: several checks look at the same megabytes.
    _parsed: Any = field(default=_UNPARSED, init=False, repr=False, compare=False)

    @property
    def media_type(self) -> str:
        """Return the Content-Type without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """Return the parsed JSON body, or ``ABSENT`` when it is not JSON."""
        if self._parsed is _UNPARSED:
            try:
                parsed = json_value(self.body)
            except ValueError:
                parsed = ABSENT
            object.__setattr__(self, "_parsed", parsed)
        return self._parsed

    def describe(self) -> str:
        """Return the response for humans."""
        kind = self.headers.get("content-type", "no Content-Type")
        return f"{self.status} ({kind}) body: {_shorten(self.body)}"


@dataclass(frozen=True)
class Exchange:
    """One request and the answer it got."""

    sent: Sent
    received: Received


@dataclass
class Counters:
    """What the run has spent so far."""

    requests: int = 0
    rate_limited: int = 0
    # Every answer's status, whichever part of the suite sent the request.
    statuses: Counter[int] = field(default_factory=Counter)
    waited: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


class AnswerNotReadError(requests.RequestException):
    """The answer's body did not arrive whole within the timeout and the size cap."""


class BoundedSession(requests.Session):
    """A requests session that counts requests and refuses to pass the run's bounds."""

    def __init__(self, settings: RunSettings, counters: Counters) -> None:
        super().__init__()
        self.trust_env = (
            False  # a proxy from the environment must not sit between us and the target
        )
        self.run_settings = settings
        self.counters = counters
        self.refused_in_a_row = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send one request after checking the budget and the time ceiling."""
        spent = self.counters
        if spent.requests >= self.run_settings.max_requests:
            raise RunStoppedError("--max-requests", spent.requests, spent.elapsed)
        if spent.elapsed >= self.run_settings.max_time:
            raise RunStoppedError("--max-time", spent.requests, spent.elapsed)
        spent.requests += 1
        remaining = max(1.0, self.run_settings.max_time - spent.elapsed)
        kwargs["timeout"] = min(kwargs.get("timeout") or self.run_settings.timeout, remaining)
        kwargs["stream"] = True
        try:
            response = super().send(request, **kwargs)
            spent.statuses[response.status_code] += 1
            read_whole(response, time.monotonic() + kwargs["timeout"])
        except requests.ConnectionError as error:
            refused = "refused" in str(error).lower()
            self.refused_in_a_row = self.refused_in_a_row + 1 if refused else 0
            if self.refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                reason = f"connection refused {self.refused_in_a_row} times in a row"
                raise ServerUnreachableError(self.run_settings.base_url, reason) from None
            raise
        self.refused_in_a_row = 0
        return response


class Transport:
    """Sends requests to ``POST /api/links`` and hands every 429 to ``on_rate_limited``."""

    def __init__(self, settings: RunSettings, on_rate_limited: Callable[[Exchange], None]) -> None:
        self.settings = settings
        self.counters = Counters()
        self.session = BoundedSession(settings, self.counters)
        self.on_rate_limited = on_rate_limited

    def authorization(self, key: str, scheme: str = "Bearer") -> dict[str, str]:
        """Return the Authorization header for ``key``."""
        return {"Authorization": f"{scheme} {key}"}

    def post(
        self, body: Any = ABSENT, headers: Mapping[str, str] | None = None, raw: bytes | None = None
    ) -> Exchange:
        """POST ``body`` (as JSON) or ``raw`` bytes; wait out 429s and retry a few times."""
        all_headers = dict(
            headers if headers is not None else self.authorization(self.settings.api_key)
        )
        payload = raw
        if body is not ABSENT:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        sent = Sent(self.settings.links_url, all_headers, payload)
        waited = 0.0
        for attempt in range(1, MAX_RATE_LIMIT_RETRIES + 2):
            exchange = Exchange(sent, self.send_once(sent))
            if exchange.received.status != 429 or "Authorization" not in all_headers:
                return exchange
            self.on_rate_limited(exchange)
            if attempt > MAX_RATE_LIMIT_RETRIES:
                break
            waited += self.wait_out(exchange.received)
        raise StillRateLimitedError(MAX_RATE_LIMIT_RETRIES + 1, waited)

    def send_once(self, sent: Sent) -> Received:
        """Send ``sent`` once and return what came back."""
        try:
            response = self.session.post(sent.url, data=sent.body, headers=dict(sent.headers))
            body = response.content
        except requests.RequestException as error:
            raise TransportFailureError(sent.curl(), _reason(error)) from None
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Received(response.status_code, headers, body, response.elapsed.total_seconds())

    def wait_out(self, received: Received) -> float:
        """Sleep as long as the 429 asks (capped by ``--max-wait``) and return the seconds slept."""
        self.counters.rate_limited += 1
        seconds = min(retry_delay(received), self.settings.max_wait)
        seconds = min(seconds, max(0.0, self.settings.max_time - self.counters.elapsed))
        time.sleep(seconds)
        self.counters.waited += seconds
        return seconds


def read_whole(response: requests.Response, deadline: float) -> None:
    """Read the body by the deadline and under the size cap, or close the connection and raise."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.raw.read1(64 * 1024, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES or time.monotonic() > deadline:
            response.close()
            limit = f"{MAX_ANSWER_BYTES} bytes" if size > MAX_ANSWER_BYTES else "the timeout"
            raise AnswerNotReadError(f"answer body not complete within {limit}")
    # requests' own cache of the body, so .content and .json() work as usual.
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]


def retry_delay(received: Received, now: float | None = None) -> float:
    """Seconds a 429 asks to wait: Retry-After, else the body's retryAfter, else the reset time."""
    candidates: list[float] = []
    header = received.headers.get("retry-after", "")
    if header.strip().isdigit():
        candidates.append(float(header))
    body = received.json()
    if isinstance(body, dict) and isinstance(body.get("retryAfter"), int | float):
        candidates.append(float(body["retryAfter"]))
    reset = received.headers.get("x-ratelimit-reset", "")
    if reset.strip().isdigit():
        candidates.append(float(reset) - (time.time() if now is None else now))
    usable = [seconds for seconds in candidates if seconds >= 0]
    # A small margin so a window that resets "at" the second is really over.
    return (usable[0] + 0.25) if usable else 1.0


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, AnswerNotReadError):
        return str(error)
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        if "refused" in text.lower():
            return "connection refused"
        if "reset" in text.lower() or "aborted" in text.lower():
            return "connection reset"
        return "connection failed: " + text.split(":")[-1].strip(" )'\"")[:120]
    return type(error).__name__


def _mask(value: str) -> str:
    scheme, _, key = value.partition(" ")
    if not key:
        return "****"
    return f"{scheme} {key[:4]}****" if len(key) > 8 else f"{scheme} ****"


def _ansi_c_quoted(data: bytes) -> str:
    """Return ``data`` as a bash ``$'...'`` word of printable ASCII."""
    plain = set(range(0x20, 0x7F)) - {ord("'"), ord("\\")}
    return "$'" + "".join(chr(b) if b in plain else f"\\x{b:02x}" for b in data) + "'"


def _shorten(body: bytes | None) -> str:
    if body is None:
        return "(none)"
    text = body.decode("utf-8", "replace")
    return (
        text if len(text) <= MAX_SHOWN_BODY else f"{text[:MAX_SHOWN_BODY]}... ({len(body)} bytes)"
    )
