"""A timed conformance run keeps the suite's own closing line and names its verdict."""

from __future__ import annotations

from bench.contract import ContractRun

CLOSING = "36 passed, 0 failed, 0 not observed; 732 requests, 0 rate-limit waits (0.0 s), 38.0 s"


def test_summary_is_the_suites_closing_line() -> None:
    run = ContractRun(38.2, 0, f"PASS batch.limits ...\n{CLOSING}\n")
    assert run.summary == CLOSING
    assert run.requests == 732
    assert run.verdict == "conforms"


def test_no_summary_when_the_suite_did_not_finish() -> None:
    run = ContractRun(900.0, None, "PASS batch.limits ...")
    assert run.summary == ""
    assert run.requests is None
    assert run.verdict.startswith("killed after")
    assert ContractRun(1.0, 2, "").verdict == "usage error or server unreachable"
