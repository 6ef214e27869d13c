"""A frontend's link life in headless Chromium: create, scan, follow, unlock, frame, target."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page

import openapi
from tests.browser.conftest import Origins, opened
from tests.mock_server.test_documentation import FETCH_201
from tests.mock_server.test_resolver import IPHONE, PIXEL

pytestmark = pytest.mark.slow

# The documentation's fetch() example, as a frontend on another origin runs it.
FETCH_EXAMPLE = """async ([mock, links]) => {
    const response = await fetch(mock + '/api/links', {
        method: 'POST',
        headers: {
            Authorization: 'Bearer hoko_test_full',
            'Content-Type': 'application/json'
        },
        body: JSON.stringify(links)
    });
    return {status: response.status, links: await response.json()};
}"""


def documented_links(origins: Origins, **changes: Any) -> list[dict[str, Any]]:
    """Return the documentation's example batch, its destinations moved to the local site."""
    example = openapi.request_examples()["documentedWithPlanFeatures"]
    moved = json.loads(json.dumps(example).replace("https://example.com", f"{origins.site}/dest"))
    return [{k: v for k, v in {**item, **changes}.items() if v is not None} for item in moved]


def create(page: Page, origins: Origins, links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create ``links`` with fetch() from the site's origin and return the 201 body."""
    page.goto(f"{origins.site}/app")
    answer = page.evaluate(FETCH_EXAMPLE, [origins.mock, links])
    assert answer["status"] == 201, answer
    created: list[dict[str, Any]] = answer["links"]
    return created


def landed_on(page: Page, origins: Origins, path: str) -> None:
    """Assert the page is the site's destination page ``path``."""
    assert page.url.split("?")[0] == f"{origins.site}{path}"
    assert page.inner_text("#where") == path


def test_documented_fetch_creates_links_pointing_at_the_mock(page: Page, origins: Origins) -> None:
    # The documentation's fetch() example verbatim, but for its host and <API_KEY>.
    example = FETCH_201.replace("https://hoko.to", origins.mock).replace(
        "<API_KEY>", "hoko_test_full"
    )
    page.goto(f"{origins.site}/app")
    answer = page.evaluate(
        f"async () => {{ {example}\nreturn {{status: response.status, links}}; }}"
    )
    assert answer["status"] == 201
    created = answer["links"][0]
    assert created["shortUrl"].startswith(f"{origins.mock}/")
    assert created["qrCode"].startswith(f"{origins.mock}/qrcode?text=")
    assert created["password"] == "launch"


def test_the_qr_code_image_loads_and_decodes_to_the_short_url(page: Page, origins: Origins) -> None:
    link = create(page, origins, documented_links(origins))[0]
    size = page.evaluate(
        """async (src) => {
            const img = document.createElement('img');
            img.alt = 'QR code';
            img.src = src;
            document.body.appendChild(img);
            await img.decode();
            return [img.naturalWidth, img.naturalHeight];
        }""",
        link["qrCode"],
    )
    assert size == [512, 512]
    shot = page.locator("img").screenshot()
    found = zxingcpp.read_barcode(Image.open(io.BytesIO(shot)))
    assert found is not None
    assert found.text == link["shortUrl"] + "?qr=1"


def test_following_a_short_url_lands_on_the_destination(page: Page, origins: Origins) -> None:
    plain = documented_links(origins, password=None, cloaked=None, ios=None, android=None, geo=None)
    link = create(page, origins, plain)[0]
    page.goto(link["shortUrl"] + "?utm_source=browser&qr=1")
    landed_on(page, origins, "/dest")
    assert page.inner_text("#query") == "utm_source=browser"


def test_password_link_form_wrong_right_cookie_then_cloaked_frame(
    page: Page, origins: Origins
) -> None:
    link = create(page, origins, documented_links(origins))[0]
    short_id = link["shortUrl"].rsplit("/", 1)[1]
    first = page.goto(link["shortUrl"])
    assert first is not None
    assert first.status == 200
    page.fill("#password", "not-it")
    with page.expect_navigation() as wrong:
        page.click("button[type=submit]")
    assert wrong.value is not None
    assert wrong.value.status == 401
    assert "Wrong password" in page.inner_text("[role=alert]")
    page.fill("#password", "launch")
    with page.expect_navigation():
        page.click("button[type=submit]")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    access = cookies["hoko_link_access"]
    assert access["httpOnly"] is True
    assert access["sameSite"] == "Lax"
    assert access["path"] == f"/{short_id}"
    assert page.evaluate("document.cookie") == ""
    # The documented link is also cloaked: unlocked, it frames its destination.
    assert page.url == link["shortUrl"]
    frame = page.locator("iframe")
    assert frame.get_attribute("src") == f"{origins.site}/dest"
    assert page.frame_locator("iframe").locator("#where").inner_text() == "/dest"
    again = page.goto(link["shortUrl"])
    assert again is not None
    assert again.status == 200
    assert page.locator("iframe").count() == 1


@pytest.mark.parametrize(("user_agent", "path"), [(IPHONE, "/dest/ios"), (PIXEL, "/dest/android")])
def test_phones_land_on_their_own_destination(
    browser: Browser, origins: Origins, user_agent: str, path: str
) -> None:
    with opened(browser, user_agent=user_agent) as page:
        link = create(page, origins, documented_links(origins, password=None, cloaked=None))[0]
        page.goto(link["shortUrl"])
        landed_on(page, origins, path)


def test_a_visitor_s_country_header_picks_the_geo_destination(
    browser: Browser, page: Page, origins: Origins
) -> None:
    link = create(page, origins, documented_links(origins, password=None, cloaked=None))[0]
    # The header a CDN in front of the short-link host adds to every visit.
    with opened(browser, extra_http_headers={"CF-IPCountry": "SA"}) as visitor:
        visitor.goto(link["shortUrl"])
        landed_on(visitor, origins, "/dest/sa")
    page.goto(link["shortUrl"])
    landed_on(page, origins, "/dest")


def test_expired_links_go_to_the_expired_url_or_say_so(page: Page, origins: Origins) -> None:
    past = "2020-01-01T00:00:00Z"
    with_url, without = create(
        page,
        origins,
        [
            *documented_links(origins, password=None, cloaked=None, expiresAt=past),
            *documented_links(
                origins, password=None, cloaked=None, expiresAt=past, expiredUrl=None
            ),
        ],
    )
    page.goto(with_url["shortUrl"])
    landed_on(page, origins, "/dest/expired")
    gone = page.goto(without["shortUrl"])
    assert gone is not None
    assert gone.status == 410
    assert page.inner_text("h1") == "Link expired"
