"""Stoplight Prism 5, installed with npm into the benchmark cache and run on the kit's spec."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Final

from bench import PrismInstallError

PRISM_PACKAGE: Final = "@stoplight/prism-cli"
PRISM_VERSION: Final = "5.16.0"
INSTALL_TIMEOUT_SECONDS: Final = 600.0
CACHE_DIR: Final = Path(__file__).resolve().parent / ".cache"


def missing_tools() -> list[str]:
    """Return which of node and npm are not on PATH."""
    return [tool for tool in ("node", "npm") if shutil.which(tool) is None]


def installed_version(prefix: Path) -> str | None:
    """Return the Prism version installed under ``prefix``, or None."""
    manifest = prefix / "node_modules" / PRISM_PACKAGE / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def ensure_installed(prefix: Path = CACHE_DIR / "prism") -> Path:
    """Install the pinned Prism under ``prefix`` unless it is there; return its executable."""
    executable = prefix / "node_modules" / ".bin" / "prism"
    if installed_version(prefix) == PRISM_VERSION and executable.exists():
        return executable
    prefix.mkdir(parents=True, exist_ok=True)
    argv = [
        "npm",
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"{PRISM_PACKAGE}@{PRISM_VERSION}",
    ]
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=INSTALL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        reason = f"timed out after {INSTALL_TIMEOUT_SECONDS:.0f} s"
        raise PrismInstallError("npm install", argv, reason, "") from None
    if completed.returncode != 0 or not executable.exists():
        output = (completed.stdout + completed.stderr)[-2000:]
        raise PrismInstallError("npm install", argv, f"exit code {completed.returncode}", output)
    return executable


def mock_argv(executable: Path, spec: str, port: int, *, silent: bool) -> list[str]:
    """Return the argv of ``prism mock`` on 127.0.0.1, with its request log silenced or not."""
    argv = [str(executable), "mock", "--host", "127.0.0.1", "--port", str(port), spec]
    return [*argv, "--verboseLevel", "silent"] if silent else argv
