"""Errors of the validation proxy, each carrying the context its message is rendered from.

Exception hierarchy::

    ProxyError
     +-- ProxyUsageError        a bad option (one line, exit 2)
     +-- UpstreamError          the upstream gave no usable answer (a 502 or 504 to the client)
"""

from __future__ import annotations


class ProxyError(Exception):
    """Root of every error the validation proxy raises."""


class ProxyUsageError(ProxyError):
    """An option is missing or invalid."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


class UpstreamError(ProxyError):
    """The upstream was down, slow, reset the connection or answered something other than HTTP."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        self.status = status
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")
