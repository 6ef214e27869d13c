"""``pytest --pyargs contract_tests --hoko-*``: the suite inside someone else's test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from contract_reference import (
    BASIC_KEY,
    COLLECTION,
    FULL_KEY,
    NO_SCOPE_KEY,
    ServerOptions,
    build_app,
)
from contract_running import SEED
from contract_serving import serving


def pytest_run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on the installed package in a clean directory (no project config)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "contract_tests",
        "-p",
        "no:cacheprovider",
        *arguments,
    ]
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOKO_")}
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def options(base_url: str) -> list[str]:
    """Return the ``--hoko-*`` options for the reference at ``base_url``."""
    return [
        f"--hoko-base-url={base_url}", f"--hoko-api-key={FULL_KEY}",
        f"--hoko-no-scope-key={NO_SCOPE_KEY}",
        f"--hoko-collection-id={COLLECTION}", f"--hoko-seed={SEED}", "--hoko-max-examples=3",
        "--hoko-max-batch=20",
    ]  # fmt: skip


def test_plugin_adds_only_prefixed_options_and_imports_nothing_heavy() -> None:
    """Loading the plugin registers --hoko-* options without importing the suite."""
    code = (
        "import sys, contract_tests.pytest_plugin as p; "
        "heavy = ('schemathesis', 'requests', 'contract_tests.runner'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    from contract_tests.pytest_plugin import OPTIONS

    assert all(option.startswith("--hoko-") for option in OPTIONS)


@pytest.mark.slow
def test_pyargs_run_passes_a_conforming_server(tmp_path: Path) -> None:
    """One passing test per behaviour against the reference."""
    with serving(build_app(ServerOptions())) as served:
        result = pytest_run(tmp_path, *options(served.url), "-q")
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


@pytest.mark.slow
@pytest.mark.finds_bug
def test_pyargs_run_fails_the_broken_behaviour(tmp_path: Path) -> None:
    """A broken server fails exactly the test of the broken behaviour, with the explanation."""
    with serving(build_app(ServerOptions(fault="scope-401"))) as served:
        result = pytest_run(tmp_path, *options(served.url), "-q", "-rf")
    assert result.returncode == 1
    assert "test_behaviour[auth.missing-scope]" in result.stdout
    assert "reproduce:" in result.stdout


def test_pyargs_run_without_a_target_errors_in_one_line(tmp_path: Path) -> None:
    """No --hoko-base-url and no env var: each test errors naming the missing options."""
    result = pytest_run(tmp_path, "-q", "-x")
    assert result.returncode != 0
    assert "--hoko-base-url" in result.stdout
    assert "Traceback" not in result.stdout


@pytest.mark.slow
def test_pyargs_run_takes_the_plan_features(tmp_path: Path) -> None:
    """--hoko-plan-features= (none) with the basic key: the gated fields' test passes."""
    basic = [
        option.replace(FULL_KEY, BASIC_KEY).replace("--hoko-max-batch=20", "--hoko-max-batch=5")
        for option in options("BASE")
    ]
    with serving(build_app(ServerOptions())) as served:
        arguments = [option.replace("BASE", served.url) for option in basic]
        result = pytest_run(tmp_path, *arguments, "--hoko-plan-features=", "-q", "-rA")
    assert result.returncode == 0, result.stdout[-3000:]
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASSED")]
    assert any("test_behaviour[plan.gated-fields]" in line for line in passed), passed
