"""Prism is pinned, found in the cache when installed there, and silenced on demand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import prism
from bench.targets import Unavailable, resolve


def test_installed_version_reads_the_package_manifest(tmp_path: Path) -> None:
    package = tmp_path / "node_modules" / "@stoplight" / "prism-cli"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"version": "5.16.0"}))
    assert prism.installed_version(tmp_path) == "5.16.0"
    assert prism.installed_version(tmp_path / "elsewhere") is None


def test_mock_argv_listens_on_loopback_and_silences_on_demand() -> None:
    loud = prism.mock_argv(Path("/opt/prism"), "spec.yaml", 4010, silent=False)
    quiet = prism.mock_argv(Path("/opt/prism"), "spec.yaml", 4010, silent=True)
    assert loud[:6] == ["/opt/prism", "mock", "--host", "127.0.0.1", "--port", "4010"]
    assert "--verboseLevel" not in loud
    assert quiet[-2:] == ["--verboseLevel", "silent"]


def test_prism_is_skipped_with_a_reason_without_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prism.missing_tools() == ["node", "npm"]
    (skipped,) = resolve(("prism",), tmp_path / "state.sqlite3")
    assert isinstance(skipped, Unavailable)
    assert skipped.reason == "skipped: node and npm not on PATH"
