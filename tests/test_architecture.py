"""ARCHITECTURE.md's rules hold: who never imports whom, and the README's commands are CI's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "mock_server": {"contract_tests"},
    "contract_tests": {"mock_server"},
    "openapi": {"mock_server", "contract_tests"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_the_forbidden_parts(package: str) -> None:
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules
    offenders = {
        str(module.relative_to(ROOT)): sorted(imported_roots(module) & FORBIDDEN[package])
        for module in modules
        if imported_roots(module) & FORBIDDEN[package]
    }
    assert offenders == {}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_proxy_never_imports_the_mock_and_reaches_the_suite_through_its_judge() -> None:
    modules = sorted((ROOT / "contract_tests" / "proxy").rglob("*.py"))
    assert len(modules) > 1
    mock_users = [m.name for m in modules if "mock_server" in imported_roots(m)]
    assert mock_users == []
    suite_users = {
        module.name
        for module in modules
        for name in imported_modules(module)
        if name.startswith("contract_tests.") and not name.startswith("contract_tests.proxy")
    }
    assert suite_users == {"judge.py"}


def test_only_the_loader_parses_yaml() -> None:
    offenders = [
        str(module.relative_to(ROOT))
        for package in ("mock_server", "contract_tests")
        for module in (ROOT / package).rglob("*.py")
        if "yaml" in imported_roots(module)
    ]
    assert offenders == []


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", quick_start, flags=re.S)


def test_quick_start_is_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert "hoko-mock" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last_line = ci.strip().splitlines()[-1]
    assert last_line == readme_commands()[1]
