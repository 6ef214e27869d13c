"""Run the installed ``hoko-contract`` command and read what it reports."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from contract_reference import COLLECTION, FULL_KEY, NO_SCOPE_KEY
from contract_running import SEED

HOKO_CONTRACT = str(Path(sys.executable).parent / "hoko-contract")


def hoko_contract(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed command and capture what it prints."""
    return subprocess.run(
        [HOKO_CONTRACT, *arguments], capture_output=True, text=True, timeout=timeout, check=False
    )


def target(base_url: str) -> list[str]:
    """Return the fixed arguments naming the reference's keys and collection at ``base_url``."""
    return [
        "--base-url", base_url, "--api-key", FULL_KEY, "--no-scope-key", NO_SCOPE_KEY,
        "--collection-id", COLLECTION, "--seed", str(SEED),
        "--max-examples", "3", "--max-batch", "20",
    ]  # fmt: skip


def parse_report(path: Path) -> ET.ElementTree[ET.Element]:
    """Parse a JUnit report the suite itself wrote (trusted input)."""
    return ET.parse(path)  # noqa: S314


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 with a single line on stderr and no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
