"""The Schemathesis adapter works through public names only, on the lowest and newest 4.x."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
from contract_reference import COLLECTION, FULL_KEY, ServerOptions, build_app
from contract_serving import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

import openapi
from contract_tests import fuzzing, schemathesis_adapter
from contract_tests.schemathesis_adapter import CHECK_NAMES, GeneratedCase, Operation

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "contract_tests/schemathesis_adapter.py"
# The public names the adapter may import; anything deeper is Schemathesis's private code.
PUBLIC_MODULES = {"schemathesis"}
SHOW_VERSION = "import contract_tests.schemathesis_adapter as st; print(st.version())"
# The lowest release the adapter supports (pyproject's floor) and the newest one tested.
LOWEST, NEWEST = "4.25.0", "4.32.5"


def schemathesis_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "schemathesis"}
        elif (
            isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "schemathesis"
        ):
            found.add(str(node.module))
    return found


def test_only_the_adapter_imports_schemathesis() -> None:
    users = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "contract_tests").rglob("*.py")
        if schemathesis_imports(path)
    }
    assert users == {ADAPTER}


def test_the_adapter_imports_public_modules_only() -> None:
    assert schemathesis_imports(ROOT / ADAPTER) <= PUBLIC_MODULES


def test_every_check_has_its_behaviour() -> None:
    assert set(fuzzing.SCHEMATHESIS_BEHAVIOURS) == set(CHECK_NAMES)


def operation_at(url: str) -> Operation:
    return Operation(
        openapi.load_spec(),
        openapi.LINKS_PATH,
        url,
        {"Authorization": f"Bearer {FULL_KEY}"},
        rejection_statuses=["400", "401", "403"],
    )


def drawn(operation: Operation, positive: bool, count: int) -> list[GeneratedCase]:
    cases: list[GeneratedCase] = []

    @hypothesis.seed(7)
    @hypothesis.settings(max_examples=count, database=None, deadline=None)
    @hypothesis.given(operation.cases(positive))
    def collect(case: GeneratedCase) -> None:
        cases.append(case)

    collect()
    return cases


def outcomes_of(url: str, positive: bool) -> dict[str, str | None]:
    operation = operation_at(url)
    results: dict[str, str | None] = {}
    with requests.Session() as session:
        for case in drawn(operation, positive, 3):
            if positive:
                case.body = [{"url": item["url"], "collectionId": COLLECTION} for item in case.body]
            answer = case.send(session, timeout=10)
            assert answer.request_url.endswith(openapi.LINKS_PATH)
            for outcome in case.validate(answer, session, timeout=10):
                results[outcome.name] = results.get(outcome.name) or outcome.failure
    return results


def test_positive_cases_are_schema_valid_and_negative_ones_are_not() -> None:
    operation = operation_at("http://127.0.0.1:9")
    assert all(fuzzing.judge(strict=True).is_valid(c.body) for c in drawn(operation, True, 5))
    negatives = drawn(operation, False, 10)
    assert any(fuzzing.judges_invalid(case.body, strict=True) for case in negatives)
    assert all(not case.positive for case in negatives)


@pytest.mark.slow
def test_checks_pass_a_conforming_server_by_name() -> None:
    with serving(build_app(ServerOptions())) as served:
        results = outcomes_of(served.url, positive=True)
    assert set(results) == set(CHECK_NAMES)
    assert results == dict.fromkeys(CHECK_NAMES)


@pytest.mark.slow
@pytest.mark.finds_bug
def test_a_failing_check_is_reported_under_its_name() -> None:
    async def broken(_: Request) -> PlainTextResponse:
        return PlainTextResponse("boom", 500)

    app = Starlette(routes=[Route(openapi.LINKS_PATH, broken, methods=["POST"])])
    with serving(app) as served:
        results: dict[str, Any] = outcomes_of(served.url, positive=True)
    assert results["not_a_server_error"] is not None
    assert "Server error" in results["not_a_server_error"]


@pytest.mark.slow
@pytest.mark.finds_bug
def test_a_schemathesis_toml_in_the_working_directory_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller's toml that lets 400 pass for valid data does not soften the verdict."""
    toml = '[checks.positive_data_acceptance]\nexpected-statuses = ["400"]\n'
    (tmp_path / "schemathesis.toml").write_text(toml)
    monkeypatch.chdir(tmp_path)

    async def refuses_all(_: Request) -> JSONResponse:
        en, ar = openapi.error_texts(400)
        return JSONResponse({"error": {"en": en, "ar": ar}}, 400)

    app = Starlette(routes=[Route(openapi.LINKS_PATH, refuses_all, methods=["POST"])])
    with serving(app) as served:
        results: dict[str, Any] = outcomes_of(served.url, positive=True)
    assert results["positive_data_acceptance"] is not None


def test_the_lowest_release_tested_is_the_floor_of_the_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    contract = project["optional-dependencies"]["contract"]
    (pin,) = [d for d in contract if d.startswith("schemathesis")]
    floor = pin.split(">=")[1].split(",")[0]
    assert LOWEST.removesuffix(".0") == floor
    assert pin.endswith(",<5")


def test_the_adapter_reports_the_installed_version() -> None:
    import schemathesis

    assert schemathesis_adapter.version() == schemathesis.__version__


@pytest.mark.releases
@pytest.mark.parametrize("release", [LOWEST, NEWEST])
def test_adapter_works_on_the_lowest_and_newest_release(release: str, tmp_path: Path) -> None:
    """Install one release beside the venv (pip's cache) and run this module's checks on it."""
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target),
         f"schemathesis=={release}"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    imported = subprocess.run(
        [sys.executable, "-c", SHOW_VERSION],
        capture_output=True, text=True, timeout=120, check=False, env=env, cwd=ROOT,
    )  # fmt: skip
    assert imported.stdout.strip() == release, imported.stderr[-2000:]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "not lowest_and_newest"],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
