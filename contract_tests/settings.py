"""The settings of one conformance run, from the command line, the environment or pytest."""

from __future__ import annotations

import re
import secrets
import urllib.parse
from dataclasses import dataclass, field

from contract_tests.errors import UsageError

UUID_PATTERN = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
)
DOCUMENTED_MAX_BATCH = 10_000
ENV_VARS = {
    "base_url": "HOKO_BASE_URL",
    "api_key": "HOKO_API_KEY",
    "no_scope_key": "HOKO_NO_SCOPE_KEY",
    "collection_id": "HOKO_COLLECTION_ID",
}


@dataclass(frozen=True)
class RunSettings:
    """Everything one run needs: the target, its keys and the run's bounds."""

    base_url: str
    api_key: str
    no_scope_key: str
    collection_id: str
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    max_examples: int = 20
    max_batch: int = DOCUMENTED_MAX_BATCH
    strict: bool = False
    junit_xml: str | None = None
    timeout: float = 30.0
    max_time: float = 900.0
    max_requests: int = 6000
    rate_probe: int = 1500
    max_wait: float = 65.0
    run_tag: str = field(default_factory=lambda: secrets.token_hex(4))
    quiet: bool = False
    # What the key's plan unlocks (decision 16); None: every feature the spec names.
    plan_features: frozenset[str] | None = None

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError("--base-url", f"{self.base_url!r} is not an http(s) URL with a host")
        for name in ("api_key", "no_scope_key"):
            value = getattr(self, name)
            if not value or any(ch.isspace() for ch in value):
                flag = "--" + name.replace("_", "-")
                raise UsageError(flag, "must be a non-empty key without whitespace")
        if not UUID_PATTERN.match(self.collection_id):
            raise UsageError("--collection-id", f"{self.collection_id!r} is not a UUID")
        if not 1 <= self.max_batch <= DOCUMENTED_MAX_BATCH:
            raise UsageError("--max-batch", f"must be 1..{DOCUMENTED_MAX_BATCH}")
        positive = {
            "--max-examples": self.max_examples,
            "--timeout": self.timeout,
            "--max-time": self.max_time,
            "--max-requests": self.max_requests,
            "--rate-probe": self.rate_probe,
        }
        for flag, number in positive.items():
            if number <= 0:
                raise UsageError(flag, "must be positive")
        if self.max_wait < 0:
            raise UsageError("--max-wait", "must not be negative")
        if self.plan_features is not None:
            from contract_tests.rules import all_features

            unknown = sorted(self.plan_features - all_features())
            if unknown:
                known = ", ".join(sorted(all_features()))
                raise UsageError(
                    "--plan-features", f"unknown {', '.join(unknown)} (known: {known})"
                )
        if not re.fullmatch(r"[A-Za-z0-9]{1,16}", self.run_tag):
            raise UsageError("--run-tag", "must be 1-16 letters or digits")

    def features(self) -> frozenset[str]:
        """Return the plan features this run assumes the key has."""
        from contract_tests.rules import all_features

        return all_features() if self.plan_features is None else self.plan_features

    @property
    def links_url(self) -> str:
        """The full URL of ``POST /api/links`` on the target."""
        from openapi import LINKS_PATH

        return self.base_url.rstrip("/") + LINKS_PATH


def parse_features(text: str) -> frozenset[str]:
    """Return the features of a comma-separated list (the empty string: none)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())
