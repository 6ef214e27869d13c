"""``GET /qrcode``: the QR image a link's ``qrCode`` names, rendered with segno."""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.errors import Issue, MockError
from mock_server.links import QR_OPTIONS
from mock_server.responses import ErrorBodies

QR_PATH: Final = "/qrcode"
# Bounded so that no request can ask for a huge image or a long render.
MAX_TEXT: Final = 2048
SIZE_RANGE: Final = (32, 2048)
MARGIN_RANGE: Final = (0, 32)
LEVELS: Final = ("L", "M", "Q", "H")
FORMATS: Final = {"svg": "image/svg+xml", "png": "image/png"}
HEX_COLOUR: Final = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
# An image is a pure function of its query, so browsers and proxies may keep it.
CACHE_HEADERS: Final = {
    "Cache-Control": "public, max-age=86400, immutable",
    "X-Content-Type-Options": "nosniff",
}


class QrParameterError(MockError):
    """A ``/qrcode`` query parameter is missing or out of range; the message names it."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


@dataclass(frozen=True, slots=True)
class QrRequest:
    """A QR image asked for: its text and how to draw it."""

    text: str
    size: int
    error_correction: str
    foreground: str
    background: str
    margin: int
    format: str

    def render(self) -> bytes:
        """Return the image; a text too long for the error-correction level is refused."""
        try:
            code = segno.make_qr(self.text, error=self.error_correction, boost_error=False)
        except segno.DataOverflowError:
            raise QrParameterError(
                "text",
                f"{len(self.text)} characters do not fit a QR code at level "
                f"{self.error_correction}; use a lower errorCorrection or a shorter text",
            ) from None
        out = io.BytesIO()
        colours = {"dark": self.foreground, "light": self.background, "border": self.margin}
        if self.format == "svg":
            code.save(out, kind="svg", scale=1, omitsize=True, xmldecl=False, **colours)
            size = b'<svg width="%d" height="%d" ' % (self.size, self.size)
            return out.getvalue().replace(b"<svg ", size, 1)
        # PNG modules are whole pixels: the largest that fit in ``size``, at least one.
        modules = code.symbol_size(border=self.margin)[0]
        code.save(out, kind="png", scale=max(1, self.size // modules), **colours)
        return out.getvalue()


def _defaults() -> dict[str, str]:
    # The options every created link's qrCode carries are the defaults of a bare request.
    return dict(urllib.parse.parse_qsl(QR_OPTIONS.lstrip("&")))


def _whole(name: str, raw: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    # isascii: int() accepts digits such as '²' and thousands of them.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not low <= int(raw) <= high:
        raise QrParameterError(name, f"must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _level(name: str, raw: str) -> str:
    if raw.upper() not in LEVELS:
        raise QrParameterError(name, f"must be one of {', '.join(LEVELS)}, got {raw!r}")
    return raw.upper()


def _colour(name: str, raw: str) -> str:
    found = HEX_COLOUR.fullmatch(raw)
    if found is None:
        raise QrParameterError(name, f"must be a hex colour such as 000000, got {raw!r}")
    return "#" + found.group(1).lower()


def _format(name: str, raw: str) -> str:
    if raw.lower() not in FORMATS:
        raise QrParameterError(name, f"must be one of {', '.join(FORMATS)}, got {raw!r}")
    return raw.lower()


def _text(name: str, raw: str) -> str:
    if not raw:
        raise QrParameterError(name, "is required: the text to encode, such as a shortUrl")
    if len(raw) > MAX_TEXT:
        raise QrParameterError(name, f"must be at most {MAX_TEXT} characters, got {len(raw)}")
    return raw


PARAMETERS: Final[dict[str, tuple[str, Callable[[str, str], Any]]]] = {
    "text": ("text", _text),
    "size": ("size", lambda name, raw: _whole(name, raw, SIZE_RANGE)),
    "errorCorrection": ("error_correction", _level),
    "foreground": ("foreground", _colour),
    "background": ("background", _colour),
    "margin": ("margin", lambda name, raw: _whole(name, raw, MARGIN_RANGE)),
    "format": ("format", _format),
}


def parse(query: Mapping[str, str]) -> QrRequest:
    """Return the QR image ``query`` asks for, or raise naming its first bad parameter."""
    given = {**_defaults(), **query}
    values = {
        attribute: convert(name, given.get(name, ""))
        for name, (attribute, convert) in PARAMETERS.items()
    }
    return QrRequest(**values)


class QrCodes:
    """The ``/qrcode`` endpoint: a 400 in the mock's JSON error shape names a bad parameter."""

    def __init__(self, errors: ErrorBodies) -> None:
        self._errors = errors

    async def render(self, request: Request) -> Response:
        """Answer one ``GET /qrcode``."""
        try:
            asked = parse(request.query_params)
            image = asked.render()
        except QrParameterError as error:
            issue = Issue(error.parameter, "qrParameter", f"{error.parameter} {error.problem}")
            return self._errors.response(400, issues=[issue.as_json()])
        return Response(image, media_type=FORMATS[asked.format], headers=CACHE_HEADERS)

    def routes(self) -> list[Route]:
        """Return the route serving QR images."""
        return [Route(QR_PATH, self.render, methods=["GET"])]
