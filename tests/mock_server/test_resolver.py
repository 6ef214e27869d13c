"""Short links resolve on the mock, over real HTTP, in the resolver's documented order."""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server.resolver import COOKIE, MAX_FORM_BYTES
from tests.mock_server.conftest import FULL, LiveMock, hoko_mock, link, serve

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
TARGETED = link(
    url="https://example.com/main",
    ios="https://example.com/ios",
    android="https://example.com/android",
    geo={"SA": "https://example.com/sa", "AE": "https://example.com/ae"},
)


@pytest.fixture(scope="module")
def resolving() -> Iterator[LiveMock]:
    """A mock of its own, so its journal holds only this module's visits."""
    with serve(**{"rate-limit": 1_000_000, "default-country": "AE"}) as live:
        yield live


def create(mock: LiveMock, **fields: Any) -> str:
    """Create one link on ``mock`` and return its shortId."""
    with mock.client() as http:
        answer = http.post("/api/links", headers=FULL, json=[link(**fields)])
    assert answer.status_code == 201, answer.text
    short_url: str = answer.json()[0]["shortUrl"]
    return short_url.rsplit("/", 1)[1]


def visit(mock: LiveMock, path: str, **options: Any) -> httpx.Response:
    """GET ``path`` on ``mock`` with a fresh client, so no cookie carries over."""
    with mock.client() as http:
        return http.get(path, **options)


def last_click(mock: LiveMock) -> dict[str, Any]:
    """Return the click journalled for the mock's last request."""
    with mock.client() as http:
        entries = http.get("/__mock/journal", params={"limit": 1}).json()["entries"]
    click: dict[str, Any] = entries[-1]["click"]
    return click


def test_unknown_short_id_is_a_404_page(resolving: LiveMock) -> None:
    answer = visit(resolving, "/NoSuchLink")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<code>NoSuchLink</code>" in answer.text
    assert last_click(resolving) == {
        "shortId": "NoSuchLink",
        "rule": "unknown",
        "status": 404,
        "destination": None,
        "qr": False,
    }


@pytest.mark.parametrize(
    "path",
    ["/" + "a" * 5000, "/%00%ff%fe", "/%F0%9F%98%80<script>", "/..%2f..%2fetc", "/'%22"],
)
def test_odd_short_ids_are_a_404_page(resolving: LiveMock, path: str) -> None:
    answer = visit(resolving, path)
    assert answer.status_code == 404, answer.text[:200]
    assert "<script>" not in answer.text


def test_plain_link_redirects_with_the_query_merged_and_qr_dropped(resolving: LiveMock) -> None:
    short_id = create(resolving, url="https://example.com/page?x=1&keep=yes")
    answer = visit(resolving, f"/{short_id}", params={"x": "2", "utm_source": "mail", "qr": "1"})
    assert answer.status_code == 302
    location = urllib.parse.urlsplit(answer.headers["location"])
    assert location.netloc == "example.com"
    assert location.path == "/page"
    assert dict(urllib.parse.parse_qsl(location.query)) == {
        "keep": "yes",
        "x": "2",
        "utm_source": "mail",
    }
    click = last_click(resolving)
    assert click["rule"] == "url"
    assert click["qr"] is True
    assert click["destination"] == answer.headers["location"]


def test_head_answers_like_get_without_a_body(resolving: LiveMock) -> None:
    short_id = create(resolving, url="https://example.com/head")
    with resolving.client() as http:
        answer = http.head(f"/{short_id}")
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://example.com/head"
    assert answer.content == b""


def test_password_link_asks_refuses_then_admits_with_a_link_cookie(resolving: LiveMock) -> None:
    short_id = create(resolving, url="https://example.com/secret", password="launch")
    form = visit(resolving, f"/{short_id}", params={"ref": "a"})
    assert form.status_code == 200
    assert f'<form method="post" action="/{short_id}?ref=a">' in form.text
    assert '<label for="password">' in form.text
    with resolving.client() as http:
        wrong = http.post(f"/{short_id}?ref=a", data={"password": "nope"})
        assert wrong.status_code == 401
        assert 'role="alert"' in wrong.text
        assert COOKIE not in http.cookies
        right = http.post(f"/{short_id}?ref=a", data={"password": "launch"})
        assert right.status_code == 303
        assert right.headers["location"] == f"/{short_id}?ref=a"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert f"Path=/{short_id}" in cookie
        admitted = http.get(right.headers["location"])
    assert admitted.status_code == 302
    assert admitted.headers["location"] == "https://example.com/secret?ref=a"


def test_password_in_the_query_admits_or_refuses(resolving: LiveMock) -> None:
    short_id = create(resolving, url="https://example.com/q", password="launch")
    assert visit(resolving, f"/{short_id}", params={"pw": "bad"}).status_code == 401
    right = visit(resolving, f"/{short_id}", params={"pw": "launch", "a": "1"})
    assert right.status_code == 303
    assert right.headers["location"] == f"/{short_id}?a=1"


def test_forged_or_foreign_cookies_do_not_open_a_password_link(resolving: LiveMock) -> None:
    first = create(resolving, password="same")
    second = create(resolving, password="same")
    with resolving.client() as http:
        assert http.get(f"/{first}", params={"pw": "same"}).status_code == 303
        token = http.cookies[COOKIE]
    for forged in [token, "0" * 64, "x" * 4000, "é", "", '"; a=b']:
        cookie = f"{COOKIE}={forged}".encode()
        answer = visit(resolving, f"/{second}", headers={"cookie": cookie})
        assert answer.status_code == 200, forged
        assert "<form" in answer.text


def test_password_form_refuses_huge_and_non_form_bodies(resolving: LiveMock) -> None:
    short_id = create(resolving, password="launch")
    with resolving.client() as http:
        huge = http.post(f"/{short_id}", data={"password": "x" * (MAX_FORM_BYTES * 50)})
        assert huge.status_code == 413
        as_json = http.post(f"/{short_id}", json={"password": "launch"})
        assert as_json.status_code == 415
        streamed = http.post(
            f"/{short_id}",
            content=iter([b"password=" + b"y" * 1024] * 10),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413


def test_the_password_is_never_journalled(resolving: LiveMock) -> None:
    short_id = create(resolving, password="TopSecret-42")
    visit(resolving, f"/{short_id}", params={"pw": "TopSecret-42"})
    with resolving.client() as http:
        http.post(f"/{short_id}", data={"password": "TopSecret-42"})
        journal = http.get("/__mock/journal").text
    assert short_id in journal
    assert "TopSecret-42" not in journal


def test_expired_link_goes_to_its_expired_url_or_a_410_page(resolving: LiveMock) -> None:
    past = "2020-01-01T00:00:00Z"
    with_url = create(resolving, expiresAt=past, expiredUrl="https://example.com/gone")
    answer = visit(resolving, f"/{with_url}", params={"c": "1"})
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://example.com/gone?c=1"
    assert last_click(resolving)["rule"] == "expired"
    without = create(resolving, expiresAt=past)
    page = visit(resolving, f"/{without}")
    assert page.status_code == 410
    assert "expired" in page.text.lower()
    alive = create(resolving, url="https://example.com/alive", expiresAt="2999-01-01T00:00:00Z")
    assert visit(resolving, f"/{alive}").headers["location"] == "https://example.com/alive"


def test_password_comes_before_expiry(resolving: LiveMock) -> None:
    short_id = create(resolving, password="p", expiresAt="2020-01-01T00:00:00Z")
    assert visit(resolving, f"/{short_id}").status_code == 200


def test_cloaked_link_frames_its_destination_and_wins_over_devices(resolving: LiveMock) -> None:
    short_id = create(
        resolving, url="https://example.com/framed", cloaked=True, ios="https://example.com/ios"
    )
    page = visit(resolving, f"/{short_id}", params={"p": "1"}, headers={"user-agent": IPHONE})
    assert page.status_code == 200
    assert '<iframe src="https://example.com/framed?p=1"' in page.text
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert "noindex" in page.headers["x-robots-tag"]
    assert last_click(resolving)["rule"] == "cloaked"


@pytest.mark.parametrize(
    ("user_agent", "rule", "destination"),
    [
        (IPHONE, "ios", "https://example.com/ios"),
        (PIXEL, "android", "https://example.com/android"),
        (DESKTOP, "geo", "https://example.com/ae"),
        ("", "geo", "https://example.com/ae"),
    ],
)
def test_devices_are_told_apart_by_user_agent(
    resolving: LiveMock, user_agent: str, rule: str, destination: str
) -> None:
    short_id = create(resolving, **{k: v for k, v in TARGETED.items() if k != "collectionId"})
    answer = visit(resolving, f"/{short_id}", headers={"user-agent": user_agent})
    assert answer.status_code == 302
    assert answer.headers["location"] == destination
    assert last_click(resolving)["rule"] == rule


@pytest.mark.parametrize(
    ("headers", "destination"),
    [
        ({"CF-IPCountry": "SA"}, "https://example.com/sa"),
        ({"X-Vercel-IP-Country": "sa"}, "https://example.com/sa"),
        ({"CF-IPCountry": "SA", "X-Vercel-IP-Country": "AE"}, "https://example.com/sa"),
        ({"CF-IPCountry": "FR"}, "https://example.com/main"),
        ({"CF-IPCountry": "XX1"}, "https://example.com/ae"),
        ({}, "https://example.com/ae"),
    ],
)
def test_geo_reads_the_country_headers_in_order_then_the_default(
    resolving: LiveMock, headers: dict[str, str], destination: str
) -> None:
    short_id = create(resolving, **{k: v for k, v in TARGETED.items() if k != "collectionId"})
    answer = visit(resolving, f"/{short_id}", headers={"user-agent": DESKTOP, **headers})
    assert answer.headers["location"] == destination


def test_country_headers_are_configurable() -> None:
    with serve(**{"country-headers": "X-Country"}) as live:
        short_id = create(live, geo={"SA": "https://example.com/sa"})
        by_own = visit(live, f"/{short_id}", headers={"x-country": "SA"})
        by_cloudflare = visit(live, f"/{short_id}", headers={"cf-ipcountry": "SA"})
    assert by_own.headers["location"] == "https://example.com/sa"
    assert by_cloudflare.headers["location"] == "https://example.com"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api", 404),
        ("GET", "/__mock", 404),
        ("GET", "/openapi.xml", 404),
        ("POST", "/docs", 405),
        ("POST", "/qrcode", 405),
        ("POST", "/openapi.json", 405),
    ],
)
def test_the_mock_s_own_paths_are_never_short_links(
    resolving: LiveMock, method: str, path: str, status: int
) -> None:
    with resolving.client() as http:
        answer = http.request(method, path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"


def test_post_to_a_link_without_password_is_a_405(resolving: LiveMock) -> None:
    short_id = create(resolving)
    with resolving.client() as http:
        answer = http.post(f"/{short_id}", data={"password": "x"})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"


def test_default_base_links_answer_on_the_mock_s_host(resolving: LiveMock) -> None:
    with resolving.client() as http:
        created = http.post("/api/links", headers=FULL, json=[link(url="https://example.com/d")])
    body = created.json()[0]
    assert body["shortUrl"].startswith("https://hoko.to/")
    short_path = urllib.parse.urlsplit(body["shortUrl"]).path
    assert visit(resolving, short_path).headers["location"] == "https://example.com/d"
    qr = urllib.parse.urlsplit(body["qrCode"])
    image = visit(resolving, f"{qr.path}?{qr.query}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/svg+xml"


def test_short_url_base_at_the_mock_makes_both_urls_work() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with hoko_mock("--port", str(port), "--short-url-base", base) as (_, url, _banner):
        assert url == base
        with httpx.Client(timeout=30) as http:
            created = http.post(
                f"{base}/api/links", headers=FULL, json=[link(url="https://example.com/own")]
            )
            body = created.json()[0]
            assert body["shortUrl"].startswith(f"{base}/")
            assert body["qrCode"].startswith(f"{base}/qrcode?text=")
            assert http.get(body["shortUrl"]).headers["location"] == "https://example.com/own"
            image = http.get(body["qrCode"])
    assert image.status_code == 200
    assert image.content.startswith(b"<svg ")


def test_a_post_to_an_unknown_short_id_is_the_api_s_json_404(resolving: LiveMock) -> None:
    with resolving.client() as http:
        answer = http.post("/NoSuchLink", headers=FULL, json=[link()])
    assert answer.status_code == 404
    assert answer.json()["error"]["en"] == "Not found"
