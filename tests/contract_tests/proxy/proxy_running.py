"""Run ``hoko-contract proxy`` as users do, on a free port, and end it by pid with SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOKO_CONTRACT = str(Path(sys.executable).parent / "hoko-contract")


@dataclass
class RunningProxy:
    """A proxy process: its URL, and what it printed once stopped."""

    process: subprocess.Popen[bytes]
    url: str
    stdout_path: Path
    stderr_path: Path
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def client(self, timeout: float = 60) -> httpx.Client:
        """Return a client bound to the proxy."""
        return httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def violations(self) -> dict[str, Any]:
        """Return what ``GET /__proxy/violations`` lists."""
        listing: dict[str, Any] = httpx.get(f"{self.url}/__proxy/violations", timeout=10).json()
        return listing

    def stop(self) -> int:
        """Send SIGTERM, wait for the reports, and return the exit code."""
        if self.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            self.returncode = self.process.wait(timeout=60)
            self.stdout = self.stdout_path.read_text(encoding="utf-8")
            self.stderr = self.stderr_path.read_text(encoding="utf-8")
        return self.returncode

    def har(self) -> dict[str, Any]:
        """Return the HAR the stopped proxy wrote."""
        har: dict[str, Any] = json.loads(self.files["har"].read_text(encoding="utf-8"))
        return har


@contextmanager
def running_proxy(
    upstream: str, *options: str, har: bool = True, folder: Path | None = None
) -> Iterator[RunningProxy]:
    """Start the proxy in front of ``upstream``; stop it by pid however the block ends.

    Its HAR and JUnit reports go to ``folder``, which outlives the block when given.
    """
    with tempfile.TemporaryDirectory(prefix="hoko-proxy-") as scratch:
        folder = folder or Path(scratch)
        files = {"har": folder / "exchanges.har", "junit": folder / "proxy.xml"}
        reports = ["--har", str(files["har"]), "--junit-xml", str(files["junit"])] if har else []
        stdout_path, stderr_path = folder / "stdout", folder / "stderr"
        command = [HOKO_CONTRACT, "proxy", "--upstream", upstream, "--port", "0", *reports]
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen([*command, *options], stdout=out, stderr=err)
        proxy = RunningProxy(process, "", stdout_path, stderr_path, files=files)
        try:
            proxy.url = _wait_for_banner(proxy)
            yield proxy
        finally:
            if process.poll() is None:
                proxy.stop()


def _wait_for_banner(proxy: RunningProxy) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+", proxy.stdout_path.read_text("utf-8"))
        if found:
            httpx.get(f"{found.group(0)}/__proxy/health", timeout=5).raise_for_status()
            return found.group(0)
        if proxy.process.poll() is not None:
            raise RuntimeError(f"the proxy exited: {proxy.stderr_path.read_text('utf-8')}")
        time.sleep(0.05)
    raise RuntimeError("the proxy printed no address within 30 s")
