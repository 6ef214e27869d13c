"""Side-by-side speed and memory measurements of the Hoko mock, a bare ceiling app and Prism.

Run it as ``python -m bench`` (``--help`` lists the options). Nothing here ships in the wheel.

Exception hierarchy::

    BenchError
     +-- CommandError
     |    +-- ServerStartError
     |    +-- LoadGeneratorError
     |    +-- PrismInstallError
     +-- RequestError
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BenchError",
    "CommandError",
    "LoadGeneratorError",
    "PrismInstallError",
    "RequestError",
    "ServerStartError",
]


class BenchError(Exception):
    """Root of every error raised while benchmarking."""


class CommandError(BenchError):
    """A process the benchmark started did not do its part."""

    failure: ClassVar[str] = "failed"

    def __init__(self, name: str, argv: list[str], reason: str, output: str) -> None:
        self.name = name
        self.argv = argv
        self.reason = reason
        self.output = output
        super().__init__(
            f"{name} {self.failure}: {reason}\n  command: {' '.join(argv)}\n"
            f"  last output:\n{output or '    (none)'}"
        )


class ServerStartError(CommandError):
    """A server under test did not start answering HTTP in time."""

    failure = "did not start"


class LoadGeneratorError(CommandError):
    """The load-generator process failed or printed no result."""


class PrismInstallError(CommandError):
    """npm could not install Stoplight Prism into the benchmark cache."""

    failure = "could not be installed"


class RequestError(BenchError):
    """A benchmark request got an answer other than the documented 201."""

    def __init__(self, target: str, url: str, status: int, body_head: bytes, curl: str) -> None:
        self.target = target
        self.url = url
        self.status = status
        self.body_head = body_head
        super().__init__(
            f"{target}: POST {url} failed\n  received: HTTP {status} {body_head[:300]!r}\n"
            f"  documented: HTTP 201 with the created links\n  reproduce: {curl}"
        )
