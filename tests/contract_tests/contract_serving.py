"""Serve an ASGI app with uvicorn on 127.0.0.1, on a free port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn


def free_port() -> int:
    """Return a port the OS just gave us by binding port 0."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """A running server: its base URL, and a way to stop it early."""

    url: str
    server: uvicorn.Server

    def stop(self) -> None:
        """Ask uvicorn to shut down; new connections are refused once it has."""
        self.server.should_exit = True


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[Served]:
    """Run ``app`` until the block ends and yield the running server."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
