"""The spec lints clean with the default rulesets of Redocly CLI and Spectral."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import openapi

ROOT = Path(__file__).resolve().parents[2]
LINTERS = ("@redocly/cli@2.77.0", "@stoplight/spectral-cli@6.16.3")
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NPM is None, reason="Node.js/npm not installed: README records the clean lint"
    ),
]


@pytest.fixture(scope="module")
def node_bin() -> Path:
    prefix = ROOT / ".cache" / "npm-lint"
    marker = prefix / ("installed-" + "-".join(LINTERS).replace("/", "_"))
    if not marker.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        assert NPM is not None
        subprocess.run(
            [
                NPM,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--silent",
                *LINTERS,
            ],
            check=True,
            timeout=600,
        )
        marker.touch()
    return prefix / "node_modules" / ".bin"


def test_redocly_recommended_ruleset_is_clean(node_bin: Path) -> None:
    result = subprocess.run(
        [str(node_bin / "redocly"), "lint", "--format", "stylish", openapi.spec_path()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout + result.stderr
    assert "warning" not in (result.stdout + result.stderr).lower().replace(
        "deprecation warning", ""
    )


def test_spectral_oas_ruleset_is_clean(node_bin: Path, tmp_path: Path) -> None:
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    result = subprocess.run(
        [
            str(node_bin / "spectral"),
            "lint",
            "--ruleset",
            str(ruleset),
            "--fail-severity",
            "hint",
            openapi.spec_path(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No results" in result.stdout, result.stdout
