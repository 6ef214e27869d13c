"""Servers under test: started on 127.0.0.1 on a free port, always ended by pid."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import ServerStartError
from bench.memory import MemoryStatus, read_status

HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 10.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def module_command(module: str, *args: str) -> list[str]:
    """Return the argv that runs ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def module_env() -> dict[str, str]:
    """Return this environment with the project root first on PYTHONPATH, so ``bench`` imports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    """Return a port that was free on 127.0.0.1 a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclasses.dataclass(frozen=True)
class ServerCommand:
    """How to start one server: its name, its argv for a given port, and where it is alive."""

    name: str
    argv_for_port: Callable[[int], list[str]]
    ready_path: str = "/"
    start_timeout: float = 60.0


@dataclasses.dataclass(frozen=True)
class RunningServer:
    """A started server: its process, its base URL and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """Return the pid of the server process."""
        return self.process.pid

    def memory(self) -> MemoryStatus:
        """Return the server's peak and current resident memory."""
        return read_status(self.pid)


def log_tail(path: Path, lines: int = 15) -> str:
    """Return the last lines a server wrote, indented for an error message."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])


def answers_http(port: int, path: str, timeout: float = 1.0) -> bool:
    """Return whether something on the port answers a GET with any HTTP status."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    else:
        return True
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a started server and everything it forked: SIGTERM, then SIGKILL after a grace time."""
    if process.poll() is not None:
        return
    # Each server leads its own process group (start_new_session), so its pid names the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_SECONDS)


@contextlib.contextmanager
def running(command: ServerCommand, log_dir: Path) -> Iterator[RunningServer]:
    """Start a server, wait until it answers HTTP, yield it, and end it whatever happens."""
    port = free_port()
    argv = command.argv_for_port(port)
    log_path = log_dir / f"{command.name.replace(' ', '_')}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=PROJECT_ROOT,
            env=module_env(),
        )
    try:
        _wait_ready(command, argv, process, port, log_path)
        yield RunningServer(command.name, process, port, log_path)
    finally:
        stop(process)


def _wait_ready(
    command: ServerCommand,
    argv: list[str],
    process: subprocess.Popen[bytes],
    port: int,
    log_path: Path,
) -> None:
    deadline = time.monotonic() + command.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            reason = f"exited with code {process.returncode}"
            raise ServerStartError(command.name, argv, reason, log_tail(log_path))
        if answers_http(port, command.ready_path):
            return
        time.sleep(0.1)
    reason = f"no HTTP answer on {HOST}:{port} within {command.start_timeout:.0f} s"
    raise ServerStartError(command.name, argv, reason, log_tail(log_path))
