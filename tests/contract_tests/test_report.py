"""The verdict as people and CI read it: one line per behaviour, failures in full, JUnit XML."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from contract_commands import parse_report

from contract_tests import report
from contract_tests.behaviours import BEHAVIOURS, Finding, Verdict
from contract_tests.coverage import CellOutcome, Coverage
from contract_tests.transport import Counters, Exchange, Received, Sent


def sample_verdict() -> Verdict:
    """Return a verdict with one pass, one failure and the rest not observed."""
    verdict = Verdict(strict=False)
    verdict.passed("auth.unknown-key")
    sent = Sent("http://127.0.0.1:9/api/links", {"Authorization": "Basic hoko_test_full"}, b"[]")
    exchange = Exchange(sent, Received(201, {"content-type": "application/json"}, b"[]"))
    finding = Finding(
        "status 201, documented 401", "401: a scheme other than Bearer", exchange, sent.curl()
    )
    verdict.failed("auth.non-bearer", finding)
    verdict.failed("auth.non-bearer", finding)  # the same problem is kept once
    verdict.note("rate-limit.429", "no 429 within 10 probe requests")
    return verdict


def test_one_line_per_behaviour_with_its_section_then_the_failures() -> None:
    """Every non-strict behaviour has a line; the failure shows sent, received, documented, curl."""
    text = report.render(sample_verdict(), Counters(requests=12), seed=5, run_tag="tag")
    lines = text.splitlines()
    summary = text.split("\nFailures:\n")[0].splitlines()
    assert sum(line.startswith(("PASS ", "FAIL ", "N/O ")) for line in summary) == len(
        [b for b in BEHAVIOURS.values() if not b.strict_only]
    )
    assert any(
        line.startswith("PASS auth.unknown-key") and "[Status Codes > 401]" in line
        for line in lines
    )
    assert any("no 429 within 10 probe requests" in line for line in lines)
    assert text.count("what failed: status 201, documented 401") == 1
    assert "reproduce:   curl -X POST" in text
    assert "Basic hoko****" in text
    assert lines[-1].startswith("1 passed, 1 failed,")
    assert "seed 5" in lines[-1]


def test_junit_has_a_case_per_behaviour_failures_and_skips(tmp_path: Path) -> None:
    """Failures become <failure>, not observed becomes <skipped>."""
    path = tmp_path / "nested" / "contract.xml"
    report.write_junit(sample_verdict(), Counters(requests=12), str(path))
    cases = {case.get("name"): case for case in parse_report(path).iter("testcase")}
    assert cases["auth.non-bearer"].find("failure") is not None
    assert cases["auth.unknown-key"].find("failure") is None
    assert cases["auth.unknown-key"].find("skipped") is None
    assert cases["rate-limit.429"].find("skipped") is not None


def test_coverage_shows_statuses_and_every_cell_with_totals(tmp_path: Path) -> None:
    coverage = Coverage(Counter({201: 3, 400: 2, 500: 1}))
    coverage.plan("url x url-port")
    coverage.plan("title x type")
    coverage.plan("geo x null")
    coverage.settle("url x url-port", CellOutcome.ACCEPTED_OK)
    coverage.settle("title x type", CellOutcome.FAILED)
    coverage.settle("title x type", CellOutcome.REJECTED_OK)
    text = report.render(Verdict(strict=False), Counters(), seed=1, run_tag="t", coverage=coverage)
    assert "201 seen (3)" in text
    assert "429 NOT SEEN (0)" in text
    assert "other statuses: 500 (1)" in text
    assert "matrix: 3 cells: 0 rejected-ok, 1 accepted-ok, 1 failed, 1 not run" in text
    assert "failed      title x type" in text
    path = tmp_path / "junit.xml"
    report.write_junit(Verdict(strict=False), Counters(), str(path), coverage)
    suite = parse_report(path).getroot().find("testsuite")
    assert suite is not None
    cells = [c for c in suite.iter("testcase") if c.get("classname") == "hoko-contract.coverage"]
    assert [case.get("name") for case in cells] == ["url x url-port", "title x type", "geo x null"]
    assert cells[1].find("failure") is not None
    assert cells[2].find("skipped") is not None
    values = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert values["status.429"] == "0"
    assert values["matrix.failed"] == "1"
