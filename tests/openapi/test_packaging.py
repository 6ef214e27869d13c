"""The installed wheel carries the spec, byte for byte, and the loader finds it there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import openapi

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("hoko_links_kit-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_the_spec_unchanged(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "openapi/openapi.yaml" in names
        assert archive.read("openapi/openapi.yaml").decode("utf-8") == openapi.spec_text()
    for package in ("openapi", "mock_server", "contract_tests"):
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


@pytest.mark.slow
def test_wheel_ships_the_docs_assets_so_docs_work_offline(wheel: Path) -> None:
    from mock_server.reference import ASSETS_DIR

    with zipfile.ZipFile(wheel) as archive:
        for asset in ASSETS_DIR.iterdir():
            shipped = archive.read(f"mock_server/static/swagger-ui/{asset.name}")
            assert shipped == asset.read_bytes(), asset.name


@pytest.mark.slow
def test_loader_finds_the_spec_in_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = (
        "import openapi, pathlib, sys;"
        "print(openapi.spec_path());"
        "text = pathlib.Path(openapi.spec_path()).read_text('utf-8');"
        "sys.exit(0 if openapi.spec_text() == text else 1)"
    )
    # Run from an unrelated folder so the source checkout cannot be found by accident.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(result.stdout.strip()) == site / "openapi" / "openapi.yaml"
    assert (site / "openapi" / "openapi.yaml").read_text("utf-8") == openapi.spec_text()


def test_the_kit_packages_are_not_shadowed() -> None:
    # mock_server and contract_tests are generic names: they must resolve to this project.
    import contract_tests
    import mock_server

    for module in (openapi, mock_server, contract_tests):
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().parent.parent == ROOT, module.__file__
