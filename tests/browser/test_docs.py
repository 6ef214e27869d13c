"""``/docs`` in headless Chromium: Swagger UI renders offline and "try it" creates a link."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

from tests.browser.conftest import Origins

pytestmark = pytest.mark.slow


def test_docs_render_and_try_it_gets_201_from_the_mock(page: Page, origins: Origins) -> None:
    requested: list[str] = []

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("request", note)
    page.goto(f"{origins.mock}/docs")
    operation = page.locator(".opblock-post").filter(has_text="/api/links")
    operation.locator(".opblock-summary").click()
    with page.expect_response(lambda answer: answer.url.endswith("/api/links")) as tried:
        operation.locator("button.execute").click()
    answer = tried.value
    assert answer.status == 201
    assert answer.request.headers["authorization"] == "Bearer hoko_test_full"
    assert answer.url == f"{origins.mock}/api/links"
    shown = page.locator(".live-responses-table tbody td.response-col_status").first
    assert shown.inner_text().strip() == "201"
    # Everything the page loaded came from the mock itself: no CDN, no validator.
    assert requested
    assert all(url.startswith(f"{origins.mock}/") for url in requested), requested
