"""The 1-link load: 32 connections from a separate generator process, wrk or the Python one."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final, Literal

from bench import LoadGeneratorError
from bench.loadgen import RESULT_PREFIX
from bench.servers import PROJECT_ROOT, module_command, module_env

LUA_SCRIPT: Final = Path(__file__).resolve().parent / "post.lua"
PROCESS_GRACE_SECONDS: Final = 30.0

GeneratorName = Literal["wrk", "python"]


@dataclasses.dataclass(frozen=True)
class LoadSettings:
    """What to send and for how long: the same for every target of a run."""

    body_file: Path
    api_key: str
    connections: int = 32
    duration: float = 10.0
    max_requests: int = 2_000_000
    """Bounds the Python generator's count; wrk is bounded by its duration alone."""
    method: Literal["POST", "GET"] = "POST"
    """GET sends no body: a short link's resolution."""


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """What one load round measured: answered requests, failures, throughput and latency."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int

    @property
    def throughput(self) -> float:
        """Return answered requests per second."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def parse_result(output: str) -> LoadResult:
    """Read the ``HOKO_BENCH_RESULT {json}`` line that both generators print at the end."""
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            fields = json.loads(line[len(RESULT_PREFIX) :])
            return LoadResult(
                requests=int(fields["requests"]),
                duration_s=float(fields["duration_us"]) / 1e6,
                p50_ms=float(fields["p50_us"]) / 1e3,
                p99_ms=float(fields["p99_us"]) / 1e3,
                status_errors=int(fields["status_errors"]),
                socket_errors=int(fields["socket_errors"]),
            )
    raise ValueError(f"no {RESULT_PREFIX.strip()} line in the generator output")


def choose_generator(requested: Literal["auto", "wrk", "python"]) -> GeneratorName:
    """Return wrk when it is installed (or asked for), the Python generator otherwise."""
    if requested == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if requested == "wrk":
        raise LoadGeneratorError("wrk", ["wrk"], "not on PATH (apt-get install wrk)", "")
    return "python"


def describe_generator(generator: GeneratorName, settings: LoadSettings, chosen: bool) -> str:
    """Return one line saying which generator runs, how, and why (``chosen`` by --generator)."""
    if generator == "wrk":
        version = _wrk_version()
        return (
            f"{version}, {_wrk_threads(settings)} threads, {settings.connections} connections, "
            f"{settings.duration:g} s per round, script {LUA_SCRIPT.name}"
        )
    why = "chosen with --generator python" if chosen else "wrk is not on PATH"
    return (
        f"Python asyncio generator (bench.loadgen; {why}), 1 process, "
        f"{settings.connections} connections, {settings.duration:g} s per round"
    )


def generator_argv(generator: GeneratorName, url: str, settings: LoadSettings) -> list[str]:
    """Return the argv of one load round against ``url``."""
    if generator == "wrk":
        return [
            "wrk",
            f"--threads={_wrk_threads(settings)}",
            f"--connections={settings.connections}",
            f"--duration={max(1, round(settings.duration))}s",
            "--timeout=10s",
            f"--script={LUA_SCRIPT}",
            "--latency",
            url,
        ]
    return module_command(
        "bench.loadgen",
        "--url",
        url,
        "--body-file",
        str(settings.body_file),
        "--api-key",
        settings.api_key,
        "--connections",
        str(settings.connections),
        "--duration",
        str(settings.duration),
        "--max-requests",
        str(settings.max_requests),
        "--method",
        settings.method,
    )


def run_load(generator: GeneratorName, url: str, settings: LoadSettings) -> LoadResult:
    """Run one bounded load round in its own process and return what it measured."""
    argv = generator_argv(generator, url, settings)
    env = module_env()
    env["HOKO_BENCH_BODY_FILE"] = str(settings.body_file)
    env["HOKO_BENCH_API_KEY"] = settings.api_key
    env["HOKO_BENCH_METHOD"] = settings.method
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=env,
            check=False,
            timeout=settings.duration + PROCESS_GRACE_SECONDS,
        )
    except subprocess.TimeoutExpired as timeout:
        partial = str(timeout.stdout or "")[-2000:]
        raise LoadGeneratorError(generator, argv, "did not finish in time", partial) from None
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        reason = f"exit code {completed.returncode}"
        raise LoadGeneratorError(generator, argv, reason, output[-2000:])
    try:
        return parse_result(completed.stdout)
    except ValueError as error:
        raise LoadGeneratorError(generator, argv, str(error), output[-2000:]) from None


def _wrk_threads(settings: LoadSettings) -> int:
    return max(1, min(2, os.cpu_count() or 1, settings.connections))


def _wrk_version() -> str:
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first_line = (completed.stdout + completed.stderr).strip().splitlines()
    return " ".join(first_line[0].split()[:2]) if first_line else "wrk"
