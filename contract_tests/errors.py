"""Errors of the conformance suite, each carrying the context its message is rendered from.

Exception hierarchy::

    ContractError
     +-- UsageError            bad arguments or settings (exit 2)
     +-- ServerUnreachableError     the server cannot be reached at all (exit 2)
     +-- RunStoppedError            the request budget or the time ceiling ended the run (exit 2)
     +-- TransportFailureError      one request got no HTTP answer (timeout, reset, garbage)
     +-- StillRateLimitedError      a request stayed rate limited after every allowed wait
"""

from __future__ import annotations


class ContractError(Exception):
    """Root of every error the conformance suite raises."""


class UsageError(ContractError):
    """A setting is missing or invalid."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class ServerUnreachableError(ContractError):
    """The server did not answer the first request, or stopped answering altogether."""

    def __init__(self, base_url: str, reason: str) -> None:
        self.base_url = base_url
        self.reason = reason
        super().__init__(f"cannot reach {base_url}: {reason}")


class RunStoppedError(ContractError):
    """The run reached its request budget or its time ceiling."""

    def __init__(self, limit: str, requests_sent: int, elapsed: float) -> None:
        self.limit = limit
        self.requests_sent = requests_sent
        self.elapsed = elapsed
        super().__init__(
            f"run stopped by {limit} after {requests_sent} requests and {elapsed:.0f} s"
        )


class TransportFailureError(ContractError):
    """A request got no usable HTTP answer."""

    def __init__(self, curl: str, reason: str) -> None:
        self.curl = curl
        self.reason = reason
        super().__init__(f"no HTTP answer ({reason}) to: {curl}")


class StillRateLimitedError(ContractError):
    """A request was still answered 429 after the allowed waits."""

    def __init__(self, attempts: int, waited: float) -> None:
        self.attempts = attempts
        self.waited = waited
        super().__init__(f"still 429 after {attempts} attempts and {waited:.1f} s of waiting")
