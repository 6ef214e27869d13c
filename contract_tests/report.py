"""The run's verdict for humans (one line per behaviour, then each failure) and as JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import openapi
from contract_tests.behaviours import Observation, Status, Verdict
from contract_tests.coverage import CellOutcome, Coverage
from contract_tests.transport import Counters

MARKS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.NOT_OBSERVED: "N/O "}


def summary_line(observation: Observation) -> str:
    """Return the one line of a behaviour: verdict, id, what it says, where it is documented."""
    behaviour = observation.behaviour
    line = (
        f"{MARKS[observation.status]} {behaviour.id:<42} {behaviour.title}  [{behaviour.section}]"
    )
    if observation.status is Status.NOT_OBSERVED and observation.notes:
        line += f"  ({observation.notes[-1]})"
    return line


def failure_text(observation: Observation) -> str:
    """Return every finding of a failing behaviour: sent, received, documented, reproduce."""
    behaviour = observation.behaviour
    blocks = [f"FAIL {behaviour.id}: {behaviour.title} [{behaviour.section}]"]
    for finding in observation.findings:
        lines = [f"  what failed: {finding.problem}"]
        if finding.exchange is not None:
            lines.append(f"  sent:        {finding.exchange.sent.describe()}")
            lines.append(f"  received:    {finding.exchange.received.describe()}")
        lines.append(f"  documented:  {finding.documented}")
        if finding.curl:
            lines.append(f"  reproduce:   {finding.curl}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def coverage_lines(coverage: Coverage) -> list[str]:
    """Return what the run exercised: each documented status, then every matrix cell."""
    seen = [
        f"{status} {'seen' if coverage.statuses[status] else 'NOT SEEN'} "
        f"({coverage.statuses[status]})"
        for status in openapi.STATUS_CODES
    ]
    lines = ["", "Coverage:", "  documented statuses: " + ", ".join(seen)]
    other = sorted(set(coverage.statuses) - set(openapi.STATUS_CODES))
    if other:
        lines.append(
            "  other statuses: " + ", ".join(f"{s} ({coverage.statuses[s]})" for s in other)
        )
    totals = coverage.totals()
    lines.append(
        f"  matrix: {len(coverage.cells)} cells: "
        + ", ".join(f"{totals[outcome]} {outcome}" for outcome in CellOutcome)
    )
    lines += [f"    {outcome:<11} {name}" for name, outcome in coverage.cells.items()]
    return lines


def render(
    verdict: Verdict,
    counters: Counters,
    seed: int,
    run_tag: str,
    coverage: Coverage | None = None,
) -> str:
    """Return the whole report: behaviours, failures, coverage, then the run's figures."""
    observations = list(verdict.observations.values())
    lines = [summary_line(observation) for observation in observations]
    failing = [observation for observation in observations if observation.status is Status.FAIL]
    if failing:
        lines += ["", "Failures:", *(failure_text(observation) + "\n" for observation in failing)]
    if coverage is not None:
        lines += [*coverage_lines(coverage), ""]
    counts = {status: sum(o.status is status for o in observations) for status in Status}
    lines.append(
        f"{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, "
        f"{counts[Status.NOT_OBSERVED]} not observed; {counters.requests} requests, "
        f"{counters.rate_limited} rate-limit waits ({counters.waited:.1f} s), "
        f"{counters.elapsed:.1f} s; seed {seed}, run tag {run_tag}"
    )
    return "\n".join(lines)


def write_junit(
    verdict: Verdict, counters: Counters, path: str, coverage: Coverage | None = None
) -> None:
    """Write one JUnit test case per behaviour, and one per matrix cell; not run ones skipped."""
    observations = list(verdict.observations.values())
    suite = ET.Element(
        "testsuite",
        name="hoko-contract",
        tests=str(len(observations)),
        failures=str(sum(o.status is Status.FAIL for o in observations)),
        skipped=str(sum(o.status is Status.NOT_OBSERVED for o in observations)),
        time=f"{counters.elapsed:.3f}",
    )
    for observation in observations:
        behaviour = observation.behaviour
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"hoko-contract.{behaviour.id.split('.')[0]}",
            name=behaviour.id,
        )
        if observation.status is Status.FAIL:
            first = observation.findings[0].problem
            failure = ET.SubElement(case, "failure", message=f"{behaviour.title}: {first}"[:500])
            failure.text = failure_text(observation)
        elif observation.status is Status.NOT_OBSERVED:
            ET.SubElement(case, "skipped", message="; ".join(observation.notes) or "not observed")
        ET.SubElement(case, "system-out").text = f"{behaviour.title} [{behaviour.section}]"
    if coverage is not None:
        add_coverage(suite, coverage)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def add_coverage(suite: ET.Element, coverage: Coverage) -> None:
    """Add the coverage to a JUnit suite: statuses as properties, a test case per matrix cell."""
    properties = ET.SubElement(suite, "properties")
    for status in openapi.STATUS_CODES:
        ET.SubElement(
            properties, "property", name=f"status.{status}", value=str(coverage.statuses[status])
        )
    for outcome, total in coverage.totals().items():
        ET.SubElement(properties, "property", name=f"matrix.{outcome}", value=str(total))
    for name, outcome in coverage.cells.items():
        case = ET.SubElement(suite, "testcase", classname="hoko-contract.coverage", name=name)
        if outcome is CellOutcome.FAILED:
            ET.SubElement(case, "failure", message=f"{name}: failed (see matrix.* behaviours)")
        elif outcome is CellOutcome.NOT_RUN:
            ET.SubElement(case, "skipped", message="not run")
        ET.SubElement(case, "system-out").text = str(outcome)
    cells = list(coverage.cells.values())
    suite.set("tests", str(int(suite.get("tests", "0")) + len(cells)))
    failed = sum(outcome is CellOutcome.FAILED for outcome in cells)
    suite.set("failures", str(int(suite.get("failures", "0")) + failed))
    skipped = sum(outcome is CellOutcome.NOT_RUN for outcome in cells)
    suite.set("skipped", str(int(suite.get("skipped", "0")) + skipped))
