"""The upstream Schemathesis CLI, every check, against the running mock with the kit's spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import openapi
from tests.mock_server.conftest import serve

pytestmark = pytest.mark.slow

HOOKS_DIR = Path(__file__).resolve().parent


def test_schemathesis_cli_with_all_checks_finds_nothing(tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    # Configured as a user would: the default mock, the dev key, a hook for the known collection.
    with serve() as live:
        command = [
            str(schemathesis),
            "--no-color",
            "run",
            openapi.spec_path(),
            "--url",
            live.base_url,
            "-H",
            "Authorization: Bearer hoko_test_full",
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--report",
            "junit",
            "--report-junit-path",
            str(tmp_path / "junit.xml"),
        ]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
            "PYTHONPATH": str(HOOKS_DIR),
        }
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=170
        )
        created = live.count()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No issues found" in output, output
    assert "<failure" not in (tmp_path / "junit.xml").read_text(encoding="utf-8")
    # The hook made positive cases land: links were really created, not only rejected.
    assert created > 0
