"""What one run shares between its checks: settings, transport, verdict and fresh identifiers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from contract_tests import expectations, rules
from contract_tests.behaviours import Finding, Verdict
from contract_tests.coverage import Coverage
from contract_tests.errors import (
    RunStoppedError,
    ServerUnreachableError,
    StillRateLimitedError,
    TransportFailureError,
)
from contract_tests.settings import RunSettings
from contract_tests.transport import ABSENT, Exchange, Transport

DOCUMENTED_201 = "201 with one link per item, in request order, sent fields unchanged (decision 5)"


class RunContext:
    """What every check uses: a bounded transport, the verdict, and never-repeated identifiers."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.strict = settings.strict
        self.verdict = Verdict(settings.strict)
        self.transport = Transport(settings, self._rate_limited)
        self._counter = itertools.count(1)
        self.seen_ids: set[str] = set()
        self.seen_short_urls: set[str] = set()
        self.stop: RunStoppedError | ServerUnreachableError | None = None
        self.progress: Callable[[str], None] | None = None
        # Fields the key's plan does not unlock: never sent where a 201 is expected.
        self.locked_fields = rules.locked_fields(settings.plan_features)
        self.coverage = Coverage(self.transport.counters.statuses)

    def fresh(self, kind: str = "ext") -> str:
        """Return an identifier no earlier request of any run used: kind, run tag and a counter."""
        return f"hc-{kind}-{self.settings.run_tag}-{next(self._counter):06d}"

    def link(self, **fields: Any) -> dict[str, Any]:
        """Return a minimal valid link with a unique url, plus ``fields``."""
        url = f"https://example.com/hoko-contract/{self.fresh('url')}"
        return {"url": url, "collectionId": self.settings.collection_id, **fields}

    def unlocked(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``item`` without the fields the key's plan does not unlock."""
        return {key: value for key, value in item.items() if key not in self.locked_fields}

    def post(self, body: Any = ABSENT, **kwargs: Any) -> Exchange:
        """POST through the transport and check the rate-limit headers of whatever comes back."""
        if self.stop is not None:
            raise self.stop
        exchange = self.transport.post(body, **kwargs)
        self.observe(exchange)
        return exchange

    def observe(self, exchange: Exchange) -> None:
        """Check the rate-limit headers of an answer, whoever sent its request."""
        self._check_rate_headers(exchange)

    def tell(self, text: str) -> None:
        """Report progress inside a long check, when someone listens."""
        if self.progress is not None:
            spent = self.transport.counters
            self.progress(
                f"hoko-contract   {text} ({spent.requests} requests, {spent.elapsed:.0f} s)"
            )

    def bearer(self, key: str | None = None) -> dict[str, str]:
        """Return the Authorization header with ``key`` (default: the linksWrite key)."""
        return self.transport.authorization(key or self.settings.api_key)

    @contextmanager
    def checking(self, behaviour_id: str) -> Iterator[None]:
        """Turn a missing HTTP answer into a finding, and a 429 that never ends into a note."""
        try:
            yield
        except TransportFailureError as failure:
            finding = Finding(
                f"no HTTP answer: {failure.reason}", "an HTTP answer", curl=failure.curl
            )
            self.verdict.failed(behaviour_id, finding)
        except StillRateLimitedError as limited:
            self.verdict.note(behaviour_id, f"not checked: {limited}")
        except (RunStoppedError, ServerUnreachableError) as stop:
            # Raised again by the runner once Hypothesis or Schemathesis has unwound.
            self.stop = stop

    def expect_error(self, behaviour_id: str, exchange: Exchange, status: int, why: str) -> bool:
        """Record whether ``exchange`` got the documented ``status`` error; True if it did."""
        problems = expectations.error_problems(exchange.received, status, self.strict)
        return self.record(behaviour_id, exchange, problems, f"{status}: {why}")

    def expect_created(
        self, behaviour_id: str, exchange: Exchange, items: Sequence[Any], why: str = DOCUMENTED_201
    ) -> list[dict[str, Any]] | None:
        """Record whether ``items`` were created as documented; return the links when they were."""
        problems = expectations.created_problems(items, exchange.received, self.strict)
        links = exchange.received.json() if exchange.received.status == 201 else None
        if not isinstance(links, list):
            self.record(behaviour_id, exchange, problems, why)
            return None
        self.record(behaviour_id, exchange, problems, why)
        self.record("create.response-body", exchange, problems, DOCUMENTED_201)
        self._check_unique(exchange, links)
        if self.strict:
            strict_problems = [
                f"link {index}: {problem}"
                for index, (item, link) in enumerate(zip(items, links, strict=False))
                if isinstance(item, Mapping) and isinstance(link, Mapping)
                for problem in expectations.strict_echo_problems(item, link)
            ]
            unknown = [p for p in strict_problems if "unknown property" in p]
            self.record(
                "strict.unknown-properties", exchange, unknown, "unknown properties not echoed"
            )
            missing = [p for p in strict_problems if p not in unknown]
            self.record("strict.echo-every-field", exchange, missing, "every sent field echoed")
        return [link for link in links if isinstance(link, dict)]

    def _check_unique(self, exchange: Exchange, links: list[Any]) -> None:
        keys = expectations.link_keys(links)
        problems = expectations.repeated_link_problems(keys, self.seen_ids, self.seen_short_urls)
        expectations.remember_links(keys, self.seen_ids, self.seen_short_urls)
        self.record(
            "create.unique-links", exchange, problems[:3], "a unique id and shortUrl per link"
        )

    def _check_rate_headers(self, exchange: Exchange) -> None:
        received = exchange.received
        problems = expectations.rate_header_problems(received)
        # Only answers that went through the rate limiter (decision 1) can carry its state.
        if self.strict and received.status in (201, 400, 429):
            missing = [name for name in expectations.RATE_HEADERS if name not in received.headers]
            strict_problems = [f"{received.status} without {name}" for name in missing]
            self.record("strict.rate-headers-everywhere", exchange, strict_problems, "decision 7")
        if any(name in received.headers for name in expectations.RATE_HEADERS):
            self.record("rate-limit.headers", exchange, problems, "non-negative integers")

    def _rate_limited(self, exchange: Exchange) -> None:
        self._check_rate_headers(exchange)
        problems = expectations.error_problems(exchange.received, 429, self.strict)
        self.record("rate-limit.429", exchange, problems, "429 with retryAfter and X-RateLimit-*")

    def record(self, behaviour_id: str, exchange: Exchange, problems: list[str], why: str) -> bool:
        """Record ``problems`` (none: a pass) of one exchange under a behaviour; True if none."""
        if not self.verdict.active(behaviour_id):
            return not problems
        if not problems:
            self.verdict.passed(behaviour_id)
            return True
        finding = Finding("; ".join(problems), why, exchange, exchange.sent.curl())
        self.verdict.failed(behaviour_id, finding)
        return False
