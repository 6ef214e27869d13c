"""``hoko-mock``: banner, serving over HTTP, --help, and one-line config errors with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.cli import OPTIONS, banner, exposure_warning, main, resolve
from mock_server.config import build
from tests.mock_server.conftest import FULL, hoko_mock, link
from tests.mock_server.redis_server import free_port

pytestmark = pytest.mark.slow

HOKO_MOCK = [sys.executable, "-m", "mock_server.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """Return the environment without any HOKO_MOCK_ variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKO_MOCK_")}
    return {**env, **extra}


@pytest.fixture
def running_cli() -> Iterator[tuple[str, str]]:
    """A ``hoko-mock --port 0 --rate-limit 7`` process: its base URL and banner."""
    with hoko_mock("--rate-limit", "7") as (_, base_url, banner_text):
        yield base_url, banner_text


def test_banner_lists_url_keys_collections_plans_and_rate_limit() -> None:
    text = banner(build())
    for expected in [
        "http://127.0.0.1:8000",
        "hoko_test_full",
        "hoko_test_noscope",
        "hoko_test_basic",
        "550e8400-e29b-41d4-a716-446655440000",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "pro ",
        "basic ",
        "600 requests per 60 s per key",
    ]:
        assert expected in text


def test_cli_serves_and_prints_the_bound_port(running_cli: tuple[str, str]) -> None:
    base_url, text = running_cli
    assert "rate limit: 7 requests" in text
    response = httpx.post(f"{base_url}/api/links", headers=FULL, json=[link()])
    assert response.status_code == 201
    assert response.headers["x-ratelimit-limit"] == "7"


def test_help_lists_every_option() -> None:
    result = subprocess.run(
        [*HOKO_MOCK, "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    for option in [*OPTIONS, "--config", "--cors-origin"]:
        assert option in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--rate-limit", "0"],
            {},
            "rate-limit: must be a positive whole number, got '0' (from --rate-limit)",
        ),
        ([], {"HOKO_MOCK_PORT": "x"}, "port: must be a number, got 'x' (from HOKO_MOCK_PORT)"),
        (["--workers", "2"], {}, "workers: more than 1 worker needs --state FILE"),
        (["--config", "missing.toml"], {}, "config: cannot read 'missing.toml'"),
    ],
)
def test_bad_config_stops_with_one_line_and_exit_2(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [*HOKO_MOCK, *args], capture_output=True, text=True, timeout=30, env=clean_env(**env)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("hoko-mock: config error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("{tmp}/missing-dir/state.db", "state: cannot use '{tmp}/missing-dir/state.db'"),
        ("{tmp}", "state: cannot use '{tmp}' as a SQLite state file"),
        ("redis://127.0.0.1:{port}/0", "state: cannot use redis redis://127.0.0.1:{port}/0: "),
        ("unix://{tmp}/no.sock", "state: cannot use redis unix://{tmp}/no.sock: "),
        ("http://127.0.0.1/", "state: must be a SQLite file path or a redis://"),
    ],
)
def test_unusable_state_stops_with_one_line_and_exit_2(
    state: str, message: str, tmp_path: Path
) -> None:
    port = str(free_port())
    state, message = (text.replace("{tmp}", str(tmp_path)) for text in (state, message))
    state, message = (text.replace("{port}", port) for text in (state, message))
    result = subprocess.run(
        [*HOKO_MOCK, "--port", "0", "--state", state],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_env(),
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("hoko-mock: config error: " + message)


def test_bad_toml_key_is_named_with_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mock.toml"
    path.write_text('[keys.k]\nscopes = ["linksWrite"]\nplan = "gold"\n', encoding="utf-8")
    assert main(["--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert (
        error == "hoko-mock: config error: keys.k.plan: unknown plan 'gold' (known: pro, basic)"
        f" (from {path})\n"
    )


def test_port_in_use_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    assert "port: cannot listen on 127.0.0.1:" in capsys.readouterr().err


def test_options_override_env_which_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mock.toml"
    path.write_text("rate-limit = 1\nrate-window = 9\nlatency = 3\n", encoding="utf-8")
    layers = resolve(
        ["--config", str(path), "--rate-limit", "3"],
        {"HOKO_MOCK_RATE_LIMIT": "2", "HOKO_MOCK_RATE_WINDOW": "8"},
    )
    config = build(*layers)
    assert (config.rate_limit, config.rate_window, config.latency_ms) == (3, 8, 3)


def test_non_loopback_host_gets_a_warning() -> None:
    assert exposure_warning(build()) is None
    assert exposure_warning(build(("test", {"host": "localhost"}))) is None
    warning = exposure_warning(build(("test", {"host": "0.0.0.0"})))  # noqa: S104
    assert warning is not None
    assert "reachable from other machines; protect /__mock/ with --admin-token" in warning
    guarded = exposure_warning(build(("test", {"host": "192.168.1.5", "admin-token": "t"})))
    assert guarded is not None
    assert "--admin-token" not in guarded
