"""Wall time of a full ``hoko-contract`` run against the mock."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import time
from typing import Final

from bench.payloads import API_KEY, COLLECTION_ID, NO_SCOPE_KEY
from bench.servers import RunningServer
from bench.targets import script_path

RUN_TIMEOUT_SECONDS: Final = 900.0


@dataclasses.dataclass(frozen=True)
class ContractRun:
    """How long the conformance suite took and what it concluded (0 conforms)."""

    seconds: float
    exit_code: int | None
    output_tail: str

    @property
    def summary(self) -> str:
        """Return the suite's own closing line (counts, requests, rate-limit waits), if any."""
        closing = re.compile(r"^\d+ passed, \d+ failed")
        lines = self.output_tail.splitlines()
        return next((line.strip() for line in reversed(lines) if closing.match(line)), "")

    @property
    def requests(self) -> int | None:
        """Return how many requests the suite says it sent, if it finished."""
        match = re.search(r"; (\d+) requests,", self.summary)
        return int(match.group(1)) if match else None

    @property
    def verdict(self) -> str:
        """Return the suite's conclusion in words."""
        return {
            0: "conforms",
            1: "violations found",
            2: "usage error or server unreachable",
            None: f"killed after {RUN_TIMEOUT_SECONDS:.0f} s",
        }.get(self.exit_code, f"exit code {self.exit_code}")


def unavailable_reason() -> str | None:
    """Return why ``hoko-contract`` cannot run here, or None when it can."""
    executable = script_path("hoko-contract")
    if executable is None:
        return "not available: hoko-contract is not installed"
    try:
        completed = subprocess.run(
            [str(executable), "--help"], capture_output=True, text=True, check=False, timeout=60
        )
    except subprocess.TimeoutExpired:
        return "not available: `hoko-contract --help` hangs"
    if completed.returncode != 0:
        return f"not available: `hoko-contract --help` exits {completed.returncode}"
    return None


def time_contract_run(server: RunningServer) -> ContractRun:
    """Run the whole conformance suite against ``server`` and time it."""
    argv = [
        str(script_path("hoko-contract") or "hoko-contract"),
        "--base-url",
        server.base_url,
        "--api-key",
        API_KEY,
        "--no-scope-key",
        NO_SCOPE_KEY,
        "--collection-id",
        COLLECTION_ID,
    ]
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as timeout:
        tail = str(timeout.stdout or "")[-1500:]
        return ContractRun(time.perf_counter() - started, None, tail)
    # The suite's verdict ends its stdout; its progress goes to stderr, so stdout comes last.
    output = (completed.stderr + completed.stdout)[-1500:]
    return ContractRun(time.perf_counter() - started, completed.returncode, output)
