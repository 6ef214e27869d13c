"""The servers a run compares: the mock (in memory and with a state file), the ceiling, Prism."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Final

import openapi
from bench import PrismInstallError, prism
from bench.servers import ServerCommand, module_command

MOCK_RATE_LIMIT: Final = 1_000_000_000
"""Far above what any run sends in a window, so the mock never throttles the benchmark."""

TARGET_NAMES: Final = ("mock", "mock-state", "ceiling", "prism", "prism-silent")
QUICK_TARGETS: Final = ("mock", "ceiling")


@dataclasses.dataclass(frozen=True)
class Target:
    """One server to measure, and whether it echoes every created link in its 201."""

    name: str
    command: ServerCommand
    echoes_links: bool


@dataclasses.dataclass(frozen=True)
class Unavailable:
    """A target that cannot run on this machine, and why."""

    name: str
    reason: str


def script_path(name: str) -> Path | None:
    """Return a console script of this environment (``hoko-mock``...), or None."""
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def mock_help() -> str | None:
    """Return ``hoko-mock --help``, or None when the command is missing or fails."""
    executable = script_path("hoko-mock")
    if executable is None:
        return None
    try:
        completed = subprocess.run(
            [str(executable), "--help"], capture_output=True, text=True, check=False, timeout=60
        )
    except subprocess.TimeoutExpired:
        return None
    return completed.stdout if completed.returncode == 0 else None


def mock_command(name: str, *extra: str, rate_limit: int | None = MOCK_RATE_LIMIT) -> ServerCommand:
    """Return how to start ``hoko-mock`` on a port, with extra options."""
    executable = str(script_path("hoko-mock") or "hoko-mock")
    limit = ("--rate-limit", str(rate_limit)) if rate_limit is not None else ()

    def argv(port: int) -> list[str]:
        return [executable, "--host", "127.0.0.1", "--port", str(port), *limit, *extra]

    return ServerCommand(name, argv, ready_path="/__mock/health")


def ceiling_command() -> ServerCommand:
    """Return how to start the ceiling app on a port."""
    return ServerCommand(
        "ceiling", lambda port: module_command("bench.ceiling", "--port", str(port))
    )


def resolve(names: tuple[str, ...], state_file: Path) -> list[Target | Unavailable]:
    """Return each named target ready to start, or the reason it cannot run here."""
    builders: dict[str, Callable[[], Target | Unavailable]] = {
        "mock": lambda: _mock_target("mock"),
        "mock-state": lambda: _mock_target("mock-state", "--state", str(state_file)),
        "ceiling": lambda: Target("ceiling", ceiling_command(), echoes_links=False),
        "prism": lambda: _prism_target("prism", silent=False),
        "prism-silent": lambda: _prism_target("prism-silent", silent=True),
    }
    return [builders[name]() for name in names]


def _mock_target(name: str, *extra: str) -> Target | Unavailable:
    help_text = mock_help()
    if help_text is None:
        return Unavailable(name, "hoko-mock is not installed or `hoko-mock --help` fails")
    if extra and extra[0] not in help_text:
        return Unavailable(name, f"not supported: hoko-mock has no {extra[0]} option")
    return Target(name, mock_command(name, *extra), echoes_links=True)


def _prism_target(name: str, *, silent: bool) -> Target | Unavailable:
    missing = prism.missing_tools()
    if missing:
        return Unavailable(name, f"skipped: {' and '.join(missing)} not on PATH")
    try:
        executable = prism.ensure_installed()
    except PrismInstallError as error:
        return Unavailable(name, f"skipped: {error}")
    spec = openapi.spec_path()
    command = ServerCommand(
        name, lambda port: prism.mock_argv(executable, spec, port, silent=silent)
    )
    return Target(name, command, echoes_links=False)
