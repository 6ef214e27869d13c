"""Debian's headless Chromium, a mock whose links point at itself, an app on another origin."""

from __future__ import annotations

import contextlib
import html
import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.mock_server.conftest import hoko_mock

CHROMIUM = "/usr/bin/chromium"
# Nothing but 127.0.0.1: no sync, no updates, no QUIC probes, no first-run pages.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


class _Site(http.server.BaseHTTPRequestHandler):
    """A frontend's origin: a blank app page, and destination pages naming their own path."""

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        body = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(path)}'
            f'</title></head><body><h1 id="where">{html.escape(path)}</h1>'
            f'<p id="query">{html.escape(query)}</p></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@dataclass
class Origins:
    """Where the mock and the frontend app answer."""

    mock: str
    site: str


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def origins() -> Iterator[Origins]:
    """A mock started with ``--short-url-base`` at itself, and a site on another port."""
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with hoko_mock("--port", str(port), "--short-url-base", base, "--rate-limit", "100000"):
            yield Origins(base, f"http://127.0.0.1:{site.server_address[1]}")
    finally:
        site.shutdown()
        site.server_close()


# Module-scoped: while Playwright's sync API runs, its event loop is the main thread's, and the
# tests after these that call asyncio.run() need it gone.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, steering only the system's Chromium."""
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium; Playwright gives it a fresh temporary --user-data-dir."""
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, chromium_sandbox=False
    )
    try:
        yield launched
    finally:
        launched.close()


@contextlib.contextmanager
def opened(browser: Browser, **context_options: object) -> Iterator[Page]:
    """Open a page in a fresh browser context (no cookies) with ``context_options``."""
    context = browser.new_context(**context_options)  # type: ignore[arg-type]
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context."""
    with opened(browser) as fresh:
        yield fresh
