"""A real ``redis-server`` on a free 127.0.0.1 port, in a directory of its own, ended by its pid."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

START_SECONDS = 20


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """One redis-server process: its directory, port and settings; restartable on the same port."""

    directory: Path
    durable: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and return once it answers PING."""
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed; .ci/run installs Debian's redis-server")
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            [
                executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                *persistence,
                "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.process.poll() is None, f"redis-server exited: {self.process.returncode}"
            probe = redis.Redis(port=self.port, socket_timeout=1)
            with contextlib.suppress(redis.RedisError), contextlib.closing(probe):
                if probe.ping():
                    return
            assert time.monotonic() < deadline, f"redis-server did not answer in {START_SECONDS} s"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server (what a crash does) and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server by its pid, letting it finish what it writes."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self) -> redis.Redis:
        """Return a synchronous client of database 0."""
        return redis.Redis(port=self.port, socket_timeout=5)


@contextlib.contextmanager
def running_redis(directory: Path, *, durable: bool = False) -> Iterator[RedisServer]:
    """Run a redis-server in ``directory`` until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    server = RedisServer(directory, durable)
    server.start()
    try:
        yield server
    finally:
        server.stop()
