"""``python -m bench``: measure the mock beside the ceiling app and Prism, print the tables."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import importlib.util
import os
import platform
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final, NoReturn

from bench import BenchError
from bench.contract import ContractRun, time_contract_run, unavailable_reason
from bench.goals import judge
from bench.load import LoadSettings, choose_generator, describe_generator
from bench.payloads import API_KEY, BATCH_SIZE, one_link_body
from bench.proxy import measure_overhead, render_overhead
from bench.replicas import compare
from bench.report import Outcome, render
from bench.resolution import ResolutionFigures, measure_resolution, resolution_verdict
from bench.rounds import Contestant, Figures, RoundPlan, run_rounds
from bench.servers import running
from bench.storage import StorageFigures, store_links
from bench.targets import QUICK_TARGETS, TARGET_NAMES, Target, Unavailable, mock_command, resolve

FULL: Final = {
    "rounds": 5,
    "duration": 10.0,
    "batch_posts": 2,
    "warmup": 2.0,
    "stored_links": 1_000_000,
    "contract": True,
    "resolution": True,
    "targets": TARGET_NAMES,
}
QUICK: Final = {
    "rounds": 3,
    "duration": 1.0,
    "batch_posts": 2,
    "warmup": 0.0,
    "stored_links": 0,
    "contract": False,
    "resolution": True,
    "targets": QUICK_TARGETS,
}


def parse_options(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; ``--quick`` changes only the defaults of unset options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the mock beside the ceiling app and Prism; print the tables.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds: 3 rounds of 1 s, mock and ceiling only"
    )
    parser.add_argument(
        "--rounds", type=int, metavar="N", help="interleaved rounds, at least 3 (default 5)"
    )
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="seconds of 1-link load per round (10)"
    )
    parser.add_argument(
        "--connections", type=int, metavar="N", default=32, help="concurrent connections (32)"
    )
    parser.add_argument(
        "--batch-posts",
        type=int,
        metavar="N",
        help="large POSTs per target per round (2); rounds x this must be >= 5",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        default=BATCH_SIZE,
        help="links in each large POST (10000)",
    )
    parser.add_argument(
        "--warmup", type=float, metavar="SECONDS", help="seconds of load before the rounds (2)"
    )
    parser.add_argument(
        "--targets",
        type=_target_list,
        metavar="LIST",
        help=f"comma-separated, from {','.join(TARGET_NAMES)} (all)",
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="1-link load generator: wrk when installed, else Python (auto)",
    )
    parser.add_argument(
        "--stored-links",
        type=int,
        metavar="N",
        help="links to store for the memory figure, 0 to skip (1000000)",
    )
    parser.add_argument(
        "--contract",
        action=argparse.BooleanOptionalAction,
        help="time a full hoko-contract run against the mock (on)",
    )
    parser.add_argument(
        "--resolution",
        action=argparse.BooleanOptionalAction,
        help="measure short-link resolution and QR rendering on a fresh mock (on)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        metavar="N",
        default=0,
        help="also compare the in-memory mock with 1 and N replicas on one Redis (needs "
        "redis-server; 0 skips, the default)",
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="also write the report to this file"
    )
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="measure hoko-contract proxy's overhead instead: the mock direct and through it",
    )
    options = parser.parse_args(argv)
    for name, value in (QUICK if options.quick else FULL).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    if options.rounds < 3:
        parser.error("--rounds must be at least 3: medians of fewer rounds say little")
    if options.rounds * options.batch_posts < 5:
        parser.error("--rounds x --batch-posts must be at least 5 large POSTs per target")
    if options.replicas < 0 or options.replicas == 1:
        parser.error("--replicas must be 0 (skip) or at least 2")
    if options.duration <= 0 or options.connections < 1 or options.batch_size < 1:
        parser.error("--duration, --connections and --batch-size must be positive")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark: 0 if every available target was measured, 1 if not, 130 on Ctrl-C."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = parse_options(arguments)
    options.command = " ".join(["python -m bench", *arguments])
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        with tempfile.TemporaryDirectory(prefix="hoko-bench-") as scratch:
            if options.proxy:
                return _report(options, *measure_proxy(options, Path(scratch)))
            outcome = measure(options, Path(scratch))
            shared = _replicas(options, Path(scratch)) if options.replicas else []
    except KeyboardInterrupt:
        _note("interrupted; every server it started has been ended")
        return 130
    text = "\n".join([render(outcome), *shared])
    failed = any(entry.failure for entry in outcome.figures.values())
    return _report(options, text, failed or "mock" not in outcome.figures)


def _report(options: argparse.Namespace, text: str, failed: bool) -> int:
    print(text)
    if options.markdown:
        options.markdown.write_text(text + "\n", encoding="utf-8")
    return 1 if failed else 0


def round_plan(options: argparse.Namespace, scratch: Path) -> RoundPlan:
    """Return the rounds the options ask for, with the 1-link body written to ``scratch``."""
    body_file = scratch / "one-link.json"
    body_file.write_bytes(one_link_body())
    load = LoadSettings(body_file, API_KEY, options.connections, options.duration)
    generator = choose_generator(options.generator)
    return RoundPlan(
        generator, load, options.rounds, options.batch_posts, options.batch_size, options.warmup
    )


def measure_proxy(options: argparse.Namespace, scratch: Path) -> tuple[str, bool]:
    """Measure the proxy's overhead; return its report and whether a way in failed."""
    load_before = os.getloadavg()[0]
    plan = round_plan(options, scratch)
    _note(f"{plan.rounds} rounds over the mock, direct and through hoko-contract proxy")
    figures = measure_overhead(plan, scratch)
    generator = describe_generator(plan.generator, plan.load, options.generator == "python")
    text = render_overhead(_header(options, generator, load_before), options.batch_size, figures)
    return text, any(entry.failure for entry in figures.values())


def measure(options: argparse.Namespace, scratch: Path) -> Outcome:
    """Start the targets, run the rounds, then the memory and conformance runs."""
    # Other work on the machine moves absolute figures; the report says how busy it was.
    load_before = os.getloadavg()[0]
    plan = round_plan(options, scratch)
    load, generator = plan.load, plan.generator
    _note(f"targets: {', '.join(options.targets)} (Prism is installed on first use)")
    resolved = resolve(tuple(options.targets), scratch / "state.sqlite3")
    skipped = [item for item in resolved if isinstance(item, Unavailable)]
    figures = _measure_targets([t for t in resolved if isinstance(t, Target)], plan, scratch)
    why_not = _why_mock_cannot_run(options.targets, skipped)
    storage = f"not measured: {why_not}" if why_not else _storage(options, scratch)
    contract = f"not available: {why_not}" if why_not else _contract(options, scratch)
    resolution = f"not measured: {why_not}" if why_not else _resolution(options, plan, scratch)
    header = _header(
        options, describe_generator(generator, load, options.generator == "python"), load_before
    )
    return Outcome(
        header,
        options.batch_size,
        figures,
        skipped,
        storage,
        contract,
        [*judge(figures, storage, contract), resolution_verdict(resolution)],
        resolution,
    )


def _header(options: argparse.Namespace, generator: str, load_before: float) -> str:
    return (
        f"`{options.command}` on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs (load average {load_before:.1f} before the run), "
        f"Python {platform.python_version()}, {server_stack()}: medians of "
        f"{options.rounds} interleaved rounds; load: {generator}; {options.batch_posts} large "
        f"POSTs per target per round ({options.rounds * options.batch_posts} in all)."
    )


def server_stack() -> str:
    """Return the uvicorn that serves the mock and the ceiling, with its parser and loop."""
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {importlib.metadata.version('uvicorn')} on {parser} + {loop}"


def _measure_targets(targets: list[Target], plan: RoundPlan, scratch: Path) -> dict[str, Figures]:
    figures: dict[str, Figures] = {}
    contestants: list[Contestant] = []
    with contextlib.ExitStack() as servers:
        for target in targets:
            _note(f"starting {target.name}")
            try:
                server = servers.enter_context(running(target.command, scratch))
            except BenchError as error:
                figures[target.name] = Figures(target.name, failure=str(error))
                continue
            contestants.append(Contestant(server, target.echoes_links))
        _note(f"{plan.rounds} rounds over {', '.join(c.name for c in contestants)}")
        measured = run_rounds(contestants, plan)
    return {target.name: figures.get(target.name) or measured[target.name] for target in targets}


def _replicas(options: argparse.Namespace, scratch: Path) -> list[str]:
    _note(f"comparing the in-memory mock with 1 and {options.replicas} replicas on Redis")
    load = LoadSettings(scratch / "one-link.json", API_KEY, options.connections, options.duration)
    batch = (options.batch_posts, options.batch_size)
    try:
        lines = compare(
            choose_generator(options.generator), load, options.rounds, batch, options.replicas,
            scratch,
        )  # fmt: skip
    except BenchError as error:
        lines = [f"not measured: {error}"]
    return ["", "## Replicas on one Redis", "", *lines]


def _why_mock_cannot_run(targets: Sequence[str], skipped: Sequence[Unavailable]) -> str | None:
    if "mock" not in targets:
        return "the mock is not among --targets"
    reason = next((item.reason for item in skipped if item.name == "mock"), None)
    return f"the mock cannot run ({reason})" if reason else None


def _storage(options: argparse.Namespace, scratch: Path) -> StorageFigures | str:
    if options.stored_links <= 0:
        return "not measured (--stored-links 0)"
    _note(f"storing {options.stored_links:,} links in a fresh mock")
    try:
        with running(mock_command("mock-memory"), scratch) as server:
            return store_links(server, options.stored_links, options.batch_size)
    except BenchError as error:
        return f"not measured: {error}"


def _contract(options: argparse.Namespace, scratch: Path) -> ContractRun | str:
    if not options.contract:
        return "not measured (--no-contract)"
    reason = unavailable_reason()
    if reason:
        return reason
    _note("timing a full hoko-contract run against a fresh mock")
    try:
        with running(mock_command("mock-contract", rate_limit=None), scratch) as server:
            return time_contract_run(server)
    except BenchError as error:
        return f"not available: {error}"


def _resolution(
    options: argparse.Namespace, plan: RoundPlan, scratch: Path
) -> ResolutionFigures | str:
    if not options.resolution:
        return "not measured (--no-resolution)"
    _note("resolving a short link and rendering QR codes on a fresh mock")
    try:
        return measure_resolution(plan.generator, plan.load, options.rounds, scratch)
    except BenchError as error:
        return f"not measured: {error}"


def _note(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _exit_on_signal(signum: int, frame: FrameType | None) -> NoReturn:
    # SystemExit unwinds through every ``finally``, so each started server is ended by pid.
    raise SystemExit(128 + signum)


def _target_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in TARGET_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown target {unknown}; choose from {TARGET_NAMES}")
    return names
