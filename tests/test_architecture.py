"""ARCHITECTURE.md's rules hold: who never imports whom, and the README's commands are CI's."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

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


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OWN_PACKAGES = {"openapi", "mock_server", "contract_tests", "bench", "tests"}
EXTRA_OF = {"openapi": None, "mock_server": "mock", "contract_tests": "contract"}
# Modules of a part that serve an option of their own, with the extra that option needs on top.
OPTIONAL_EXTRA_OF = {
    "mock_server/redis_store.py": "redis",
    "mock_server/redis_calls.py": "redis",
    "contract_tests/proxy/": "proxy",
}


def optional_extra(path: Path) -> str | None:
    """Return the extra a module needs beyond its part's, if it serves an option of its own."""
    name = str(path.relative_to(ROOT))
    return next(
        (extra for place, extra in OPTIONAL_EXTRA_OF.items() if name.startswith(place)), None
    )


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def declared(extra: str | None) -> set[str]:
    """Return the distributions the base install plus ``extra`` brings, self-references expanded."""
    names = {_name(requirement) for requirement in PYPROJECT["project"]["dependencies"]}
    for requirement in PYPROJECT["project"]["optional-dependencies"].get(extra, []):
        inner = re.fullmatch(r"hoko-links-kit\[(.+)\]", requirement)
        if inner:
            names |= set().union(*(declared(part) for part in inner.group(1).split(",")))
        else:
            names.add(_name(requirement))
    return names


def third_party_imports(package: str, optional: bool = False) -> set[str]:
    """Return the distributions whose modules ``package`` imports (or only its optional ones)."""
    distributions = importlib.metadata.packages_distributions()
    local = {path.stem for path in (ROOT / package).rglob("*.py")}
    modules = [
        path
        for path in (ROOT / package).rglob("*.py")
        if (optional_extra(path) is not None) == optional
    ]
    roots = set().union(*(imported_roots(path) for path in modules))
    roots -= OWN_PACKAGES | local | set(sys.stdlib_module_names) | {"__future__"}
    return {_name(distributions[root][0]) for root in roots}


@pytest.mark.parametrize("package", sorted(EXTRA_OF))
def test_each_user_installs_what_their_part_imports(package: str) -> None:
    missing = third_party_imports(package) - declared(EXTRA_OF[package])
    assert missing == set()


@pytest.mark.parametrize("place", sorted(OPTIONAL_EXTRA_OF))
def test_an_optional_module_needs_only_its_part_and_its_extra(place: str) -> None:
    package, extra = place.split("/")[0], OPTIONAL_EXTRA_OF[place]
    modules = [path for path in (ROOT / package).rglob("*.py") if optional_extra(path) == extra]
    distributions = importlib.metadata.packages_distributions()
    roots = set().union(*(imported_roots(path) for path in modules))
    roots -= OWN_PACKAGES | set(sys.stdlib_module_names) | {"__future__"}
    imported = {_name(distributions[root][0]) for root in roots if root in distributions}
    assert imported - declared(EXTRA_OF[package]) - declared(extra) == set()


def test_the_base_install_is_what_the_loader_needs() -> None:
    assert declared(None) == third_party_imports("openapi") == {"pyyaml"}


def test_jsonschema_is_declared_where_it_is_imported_only() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    holding = sorted(name for name, reqs in extras.items() if "jsonschema" in map(_name, reqs))
    assert holding == ["test"]
    assert not any("jsonschema" in third_party_imports(package) for package in EXTRA_OF)
    assert "jsonschema" in third_party_imports("tests")


def test_dev_tools_are_pinned_exactly_and_once() -> None:
    tools = {"ruff", "mypy", "types-pyyaml", "types-requests"}
    pins = {
        _name(requirement): requirement
        for requirement in PYPROJECT["project"]["optional-dependencies"]["test"]
    }
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", pins[tool]) for tool in tools)
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in hooks["repos"]] == ["local"]
    for hook in hooks["repos"][0]["hooks"]:
        assert hook["language"] == "system", hook
        assert "additional_dependencies" not in hook, hook
        assert hook["entry"].startswith(".venv/bin/"), hook


def test_pre_commit_runs_what_ci_runs() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = {hook["entry"] for hook in hooks["repos"][0]["hooks"]}
    suite = readme_commands()[1].rsplit(" && ", 1)[1]
    # The suite, and before each commit the checks tests/test_quality.py runs inside it.
    assert entries == {
        suite,
        ".venv/bin/ruff check",
        ".venv/bin/ruff format --check",
        ".venv/bin/mypy",
    }


def test_the_license_file_matches_the_metadata() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_the_quick_start_installs_each_users_part() -> None:
    mock_command, test_command = readme_commands()
    assert "pip install -q -e '.[mock]'" in mock_command
    assert "pip install -q -e '.[test]'" in test_command


def test_uvicorn_internals_are_used_by_the_protocol_adapter_alone() -> None:
    users = sorted(
        str(module.relative_to(ROOT))
        for package in ("openapi", "mock_server", "contract_tests", "bench")
        for module in (ROOT / package).rglob("*.py")
        if any(name.startswith("uvicorn.") for name in imported_modules(module))
    )
    assert users == ["mock_server/protocol.py"]


CLOCKS = {"monotonic", "perf_counter", "time", "process_time", "monotonic_ns", "perf_counter_ns"}


def is_clock_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCKS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "time"
    )


def is_span(node: ast.AST) -> bool:
    """Tell whether ``node`` is a subtraction involving a clock reading (a span of time)."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and any(map(is_clock_call, ast.walk(node)))
    )


def elapsed_asserts(tree: ast.AST) -> list[tuple[str, int]]:
    """Return (function, line) of every assert that compares a span of clock readings."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        spans: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(map(is_span, ast.walk(node.value))):
                spans.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(function):
            if not isinstance(node, ast.Assert):
                continue
            parts = list(ast.walk(node.test))
            timed = any(
                is_span(part)
                or (isinstance(part, ast.Name) and part.id in spans)
                or (isinstance(part, ast.Attribute) and part.attr in {"elapsed", "seconds"})
                for part in parts
            )
            if timed:
                found.append((function.name, node.lineno))
    return found


def test_no_test_asserts_elapsed_time() -> None:
    """Tests bound time with subprocess timeouts and --max-time, never by asserting a duration."""
    offenders = {}
    for module in sorted((ROOT / "tests").rglob("*.py")):
        name = str(module.relative_to(ROOT))
        found = elapsed_asserts(ast.parse(module.read_text(encoding="utf-8")))
        if found:
            offenders[name] = found
    assert offenders == {}


def test_the_elapsed_rule_sees_the_usual_forms() -> None:
    """The rule catches a direct span, a span kept in a variable, and a counter's elapsed."""
    source = (
        "def f():\n    started = time.monotonic()\n    assert time.monotonic() - started < 9\n"
        "def g():\n    spent = time.perf_counter() - t0\n    assert spent < 3\n"
        "def h(result):\n    assert result.counters.elapsed < 60\n"
        "def ok():\n    deadline = time.monotonic() + 5\n    assert code == 0\n"
    )
    assert [name for name, _ in elapsed_asserts(ast.parse(source))] == ["f", "g", "h"]
