"""Servers start on a free 127.0.0.1 port, report why they did not start, and always end."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bench import ServerStartError
from bench.servers import HOST, RunningServer, ServerCommand, free_port, module_command, running
from bench.targets import ceiling_command

pytestmark = pytest.mark.slow


def test_free_port_can_be_bound() -> None:
    with socket.socket() as probe:
        probe.bind((HOST, free_port()))


def test_a_server_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    command = ServerCommand(
        "broken", lambda port: module_command("bench.ceiling", "--port", "not-a-port")
    )
    with (
        pytest.raises(ServerStartError, match="exited with code 2") as raised,
        running(command, tmp_path),
    ):
        pytest.fail("a server that exits must not be yielded")
    assert "invalid int value" in raised.value.output


def test_a_server_is_ended_when_the_block_raises(tmp_path: Path) -> None:
    started: list[RunningServer] = []

    def interrupted_run() -> None:
        with running(ceiling_command(), tmp_path) as server:
            started.append(server)
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_run()
    assert started[0].process.poll() is not None
