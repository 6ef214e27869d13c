"""``GET /qrcode`` draws real QR codes: zxing-cpp decodes them; SVGs have the size and colours."""

from __future__ import annotations

import io
import urllib.parse
import xml.etree.ElementTree as ET

import httpx
import pytest
import zxingcpp
from PIL import Image

from mock_server.qr_codes import MAX_TEXT, SIZE_RANGE
from tests.mock_server.conftest import FULL, link

SVG = "{http://www.w3.org/2000/svg}"


def decoded(png: bytes) -> zxingcpp.Barcode:
    """Return the one QR code zxing-cpp finds in ``png``."""
    image = Image.open(io.BytesIO(png))
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found is not None, "zxing-cpp found no QR code in the image"
    return found


def full_hex(colour: str) -> str:
    """Return ``#abc`` or ``#aabbcc`` as ``aabbcc``."""
    digits = colour.lstrip("#").lower()
    return "".join(c * 2 for c in digits) if len(digits) == 3 else digits


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_png_decodes_to_the_text_at_the_asked_level(client: httpx.Client, level: str) -> None:
    text = "https://hoko.to/abc123?qr=1"
    answer = client.get("/qrcode", params={"text": text, "format": "png", "errorCorrection": level})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    found = decoded(answer.content)
    assert found.text == text
    assert found.ec_level == level


def test_png_with_colours_and_unicode_text_still_decodes(client: httpx.Client) -> None:
    text = "مرحبا https://example.com/ü?a=1&b=2"
    params = {
        "text": text,
        "format": "png",
        "foreground": "1A237E",
        "background": "FFF8E1",
        "size": "300",
        "margin": "4",
    }
    answer = client.get("/qrcode", params=params)
    found = decoded(answer.content)
    assert found.text == text
    image = Image.open(io.BytesIO(answer.content)).convert("RGB")
    assert image.width <= 300
    assert image.getpixel((0, 0)) == (0xFF, 0xF8, 0xE1)  # the margin is background
    assert (0x1A, 0x23, 0x7E) in {colour for _, colour in image.getcolors(1 << 16) or []}


def test_svg_has_the_asked_size_and_colours(client: httpx.Client) -> None:
    params = {"text": "hello", "size": "400", "foreground": "112233", "background": "FFEEDD"}
    answer = client.get("/qrcode", params=params)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(  # noqa: S314 - the mock's own SVG
        answer.content
    )
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("400", "400")
    paths = root.findall(f"{SVG}path")
    fills = {full_hex(p.get("fill", "")) for p in paths if p.get("fill")}
    strokes = {full_hex(p.get("stroke", "")) for p in paths if p.get("stroke")}
    assert fills == {"ffeedd"}
    assert strokes == {"112233"}


def test_a_created_link_s_qr_code_renders_its_short_url(client: httpx.Client) -> None:
    created = client.post("/api/links", headers=FULL, json=[link()]).json()[0]
    qr = urllib.parse.urlsplit(created["qrCode"])
    svg = client.get(f"{qr.path}?{qr.query}")
    assert svg.status_code == 200
    root = ET.fromstring(  # noqa: S314 - the mock's own SVG
        svg.content
    )
    assert (root.get("width"), root.get("height")) == ("512", "512")
    png = client.get(f"{qr.path}?{qr.query.replace('format=svg', 'format=png')}")
    found = decoded(png.content)
    assert found.text == created["shortUrl"] + "?qr=1"
    assert found.ec_level == "H"


def test_images_may_be_cached(client: httpx.Client) -> None:
    answer = client.get("/qrcode", params={"text": "cache me"})
    assert "max-age=" in answer.headers["cache-control"]
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * (MAX_TEXT + 1)}, "text"),
        ({"text": "x" * 2000, "errorCorrection": "H"}, "text"),
        ({"text": "a", "size": "0"}, "size"),
        ({"text": "a", "size": str(SIZE_RANGE[1] + 1)}, "size"),
        ({"text": "a", "size": "10" * 5000}, "size"),
        ({"text": "a", "size": "²"}, "size"),
        ({"text": "a", "size": "-5"}, "size"),
        ({"text": "a", "size": "5e2"}, "size"),
        ({"text": "a", "errorCorrection": "X"}, "errorCorrection"),
        ({"text": "a", "foreground": "GGGGGG"}, "foreground"),
        ({"text": "a", "background": "12345"}, "background"),
        ({"text": "a", "margin": "100"}, "margin"),
        ({"text": "a", "format": "gif"}, "format"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    client: httpx.Client, params: dict[str, str], named: str
) -> None:
    answer = client.get("/qrcode", params=params)
    assert answer.status_code == 400, answer.text[:200]
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"]["en"] == "Invalid request"
    assert [issue["path"] for issue in body["issues"]] == [named]
    assert body["issues"][0]["message"].startswith(named)
