"""One conformance run: reach the server, run every check in order, and return the verdict."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from contract_tests import (
    authentication,
    batches,
    creation,
    fuzzing,
    matrix,
    probes,
    properties,
    ratelimit,
    rejection,
    strictness,
)
from contract_tests.behaviours import Verdict
from contract_tests.context import RunContext
from contract_tests.coverage import Coverage
from contract_tests.errors import ContractError, ServerUnreachableError, TransportFailureError
from contract_tests.settings import RunSettings
from contract_tests.transport import Counters, Sent

Check = Callable[[RunContext], None]


@dataclass
class RunResult:
    """The verdict of a run, what it spent, and the error that ended it early, if any."""

    verdict: Verdict
    counters: Counters
    coverage: Coverage
    stopped: ContractError | None = None

    @property
    def exit_code(self) -> int:
        """0 conforms, 1 violations found, 2 the run could not finish."""
        if self.stopped is not None:
            return 2
        return 1 if self.verdict.failing() else 0


def checks_for(settings: RunSettings) -> list[Check]:
    """Return every check of a run in order; the rate-limit probe, which spends the window, last."""
    ordered: list[Check] = [
        *authentication.CHECKS,
        *creation.CHECKS,
        *rejection.CHECKS,
        *batches.CHECKS,
        *matrix.CHECKS,
        *probes.CHECKS,
        *properties.CHECKS,
        *fuzzing.CHECKS_TO_RUN,
    ]
    if settings.strict:
        ordered += strictness.CHECKS
    return [*ordered, *ratelimit.CHECKS]


def reach(ctx: RunContext) -> None:
    """Send the documented 401 request once; no HTTP answer means the server is unreachable."""
    sent = Sent(ctx.settings.links_url, {"Authorization": "Bearer invalid_key"}, None)
    try:
        ctx.transport.send_once(sent)
    except TransportFailureError as failure:
        raise ServerUnreachableError(ctx.settings.base_url, failure.reason) from None


def progress_to_stderr(text: str) -> None:
    """Show progress on stderr, overwriting the previous line on a terminal."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K{text}")
    else:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run(settings: RunSettings, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run every check against the server; raise ServerUnreachableError if it never answers."""
    ctx = RunContext(settings)
    ctx.progress = progress
    reach(ctx)
    checks = checks_for(settings)
    for index, check in enumerate(checks, 1):
        if progress is not None:
            spent = ctx.transport.counters
            progress(
                f"hoko-contract [{index}/{len(checks)}] {check.__module__.split('.')[-1]}: "
                f"{check.__name__} ({spent.requests} requests, {spent.elapsed:.0f} s)"
            )
        check(ctx)
        if ctx.stop is not None:
            return RunResult(ctx.verdict, ctx.transport.counters, ctx.coverage, ctx.stop)
    return RunResult(ctx.verdict, ctx.transport.counters, ctx.coverage)
