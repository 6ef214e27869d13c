"""The printed result of a run: Markdown tables of medians, ratios and goals, then notes."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from bench.contract import ContractRun
from bench.goals import Verdict, same_round_ratio
from bench.resolution import ResolutionFigures, resolution_line
from bench.rounds import Figures
from bench.stats import median
from bench.storage import StorageFigures
from bench.targets import Unavailable

MEGABYTE = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Everything one run measured or could not measure."""

    header: str
    batch_size: int
    figures: Mapping[str, Figures]
    skipped: Sequence[Unavailable]
    storage: StorageFigures | str
    contract: ContractRun | str
    verdicts: Sequence[Verdict]
    resolution: ResolutionFigures | str = "not measured"


def render(outcome: Outcome) -> str:
    """Return the whole report as Markdown text."""
    lines = [outcome.header, "", *figures_table(outcome), "", *p99_table(outcome), ""]
    lines += [f"- Memory: {storage_line(outcome.storage)}"]
    lines += [f"- hoko-contract: {contract_line(outcome.contract)}"]
    lines += [f"- Short links: {resolution_line(outcome.resolution)}", ""]
    lines += ["| goal | measured | verdict |", "| --- | ---: | --- |"]
    lines += [f"| {v.goal} | {v.measured} | {v.label} |" for v in outcome.verdicts]
    failures = [entry for entry in outcome.figures.values() if entry.failure]
    if failures:
        lines += ["", "Failed targets:"]
        lines += [f"- {entry.name}: {entry.failure}" for entry in failures]
    return "\n".join(lines)


def figures_table(outcome: Outcome) -> list[str]:
    """Return the Markdown table of medians and same-round ratios, one row per target."""
    size = f"{outcome.batch_size:,}"
    lines = [
        f"| target | 1-link req/s | p50 ms | p99 ms | server CPU | {size}-link POST ms "
        f"| req/s / ceiling | {size}-link time / ceiling |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in outcome.figures.items():
        if entry.failure:
            lines.append(f"| {name} | failed (see below) | | | | | | |")
            continue
        throughput = same_round_ratio(outcome.figures, name, "ceiling", lambda f: f.throughput)
        batch = same_round_ratio(outcome.figures, name, "ceiling", lambda f: f.batch_ms)
        lines.append(
            f"| {name} | {median(entry.throughput):,.0f} | {_ms(median(entry.p50_ms))} "
            f"| {_ms(median(entry.p99_ms))} | {median(entry.cpu_percent):.0f} % "
            f"| {_ms(median(entry.batch_samples_ms))} "
            f"| {_times(throughput)} | {_times(batch)} |"
        )
    lines += [f"| {item.name} | {item.reason} | | | | | | |" for item in outcome.skipped]
    return lines


def p99_table(outcome: Outcome) -> list[str]:
    """Return the Markdown table of each target's 1-link p99 latency, round by round."""
    measured = [entry for entry in outcome.figures.values() if not entry.failure]
    rounds = max((len(entry.p99_ms) for entry in measured), default=0)
    if not rounds:
        return []
    lines = [
        "| p99 ms, round by round | " + " | ".join(f"round {i + 1}" for i in range(rounds)) + " |",
        "| --- |" + " ---: |" * rounds,
    ]
    for entry in measured:
        cells = [_ms(value) for value in entry.p99_ms] + ["-"] * (rounds - len(entry.p99_ms))
        lines.append(f"| {entry.name} | " + " | ".join(cells) + " |")
    return lines


def storage_line(storage: StorageFigures | str) -> str:
    """Describe the memory the mock needed to store its links."""
    if isinstance(storage, str):
        return storage
    return (
        f"after storing {storage.links:,} links ({storage.seconds:.1f} s), "
        f"VmHWM {storage.after.peak_bytes / MEGABYTE:,.0f} MiB, "
        f"VmRSS {storage.after.resident_bytes / MEGABYTE:,.0f} MiB "
        f"(warm baseline VmRSS {storage.before.resident_bytes / MEGABYTE:,.0f} MiB): "
        f"{storage.peak_bytes_per_link:,.0f} B per link at peak, "
        f"{storage.resident_bytes_per_link:,.0f} B resident"
    )


def contract_line(contract: ContractRun | str) -> str:
    """Describe the timed conformance run."""
    if isinstance(contract, str):
        return contract
    summary = f"; the suite says: {contract.summary}" if contract.summary else ""
    sent = f" and {contract.requests} requests" if contract.requests is not None else ""
    return (
        f"full run against a mock with default settings took {contract.seconds:.1f} s{sent} "
        f"({contract.verdict}){summary}"
    )


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:,.1f}"


def _times(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"
