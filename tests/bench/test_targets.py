"""Targets listen on 127.0.0.1; the mock gets a rate limit no run can reach."""

from __future__ import annotations

from pathlib import Path

from bench.targets import MOCK_RATE_LIMIT, Target, mock_command, resolve


def test_mock_command_listens_on_loopback_with_a_high_rate_limit() -> None:
    argv = mock_command("mock").argv_for_port(8123)
    assert argv[1:5] == ["--host", "127.0.0.1", "--port", "8123"]
    assert argv[argv.index("--rate-limit") + 1] == str(MOCK_RATE_LIMIT)


def test_mock_command_can_keep_the_default_rate_limit() -> None:
    argv = mock_command("mock-contract", rate_limit=None).argv_for_port(8123)
    assert "--rate-limit" not in argv


def test_mock_state_target_passes_the_state_file(tmp_path: Path) -> None:
    (target,) = resolve(("mock-state",), tmp_path / "state.sqlite3")
    assert isinstance(target, Target), target
    argv = target.command.argv_for_port(8123)
    assert argv[-2:] == ["--state", str(tmp_path / "state.sqlite3")]
