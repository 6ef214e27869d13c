"""The settings of one proxy: where it listens, what it forwards to, and what it knows."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from contract_tests.proxy.errors import ProxyUsageError

UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
DOCUMENTED_MAX_BATCH = 10_000


@dataclass(frozen=True)
class ProxySettings:
    """Everything one proxy needs; validated on creation."""

    upstream: str
    host: str = "127.0.0.1"
    port: int = 8080
    timeout: float = 30.0
    strict: bool = False
    fail_on_violation: bool = False
    junit_xml: str | None = None
    har: str | None = None
    max_batch: int | None = None
    collections: tuple[str, ...] = ()
    no_scope_keys: tuple[str, ...] = ()
    keep: int = 1000
    quiet: bool = False

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.upstream)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ProxyUsageError(
                "--upstream", f"{self.upstream!r} is not an http(s) URL with a host"
            )
        if parsed.query or parsed.fragment:
            raise ProxyUsageError("--upstream", "must not carry a query or a fragment")
        try:
            parsed.port  # noqa: B018 - raises on a port outside 0-65535
        except ValueError:
            raise ProxyUsageError("--upstream", f"{self.upstream!r} has an invalid port") from None
        if not 0 <= self.port <= 65535:
            raise ProxyUsageError("--port", "must be 0-65535")
        if not self.timeout > 0:
            raise ProxyUsageError("--timeout", "must be positive")
        if self.max_batch is not None and not 1 <= self.max_batch <= DOCUMENTED_MAX_BATCH:
            raise ProxyUsageError("--max-batch", f"must be 1..{DOCUMENTED_MAX_BATCH}")
        for collection in self.collections:
            if not UUID.fullmatch(collection):
                raise ProxyUsageError("--collection-id", f"{collection!r} is not a UUID")
        for key in self.no_scope_keys:
            if not key or any(ch.isspace() for ch in key):
                raise ProxyUsageError(
                    "--no-scope-key", "must be a non-empty key without whitespace"
                )
        if self.keep < 1:
            raise ProxyUsageError("--keep", "must be positive")

    @property
    def upstream_base(self) -> str:
        """The upstream URL without a trailing slash; request paths are appended to it."""
        return self.upstream.rstrip("/")
