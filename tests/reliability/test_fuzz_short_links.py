"""Fuzzing short links and QR codes on a real ``hoko-mock``: a clear 4xx for bad input, no 5xx."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mock_server.protocol import MAX_HEAD_BYTES
from mock_server.qr_codes import PARAMETERS
from tests.reliability.conftest import MockProcess, hoko_mock, report
from tests.reliability.hostile import COLLECTION, KEYS, header_bytes
from tests.reliability.test_fuzz import REQUEST_TIMEOUT, Tally
from tests.reliability.wire import Answer, RawRequest, exchange

pytestmark = pytest.mark.slow

CI_REQUESTS = 300
CAMPAIGN_REQUESTS = 5_000
# Statuses each kind of request may get; a 5xx, a 3xx where none belongs or a hang is a failure.
ALLOWED = {
    "visit": {200, 302, 303, 401, 404, 410},
    "password": {200, 303, 400, 401, 413, 415},
    "forged-cookie": {200},
    "qr": {200, 400},
}


@dataclass(frozen=True)
class Links:
    """The shortIds of the links the campaign visits, one per resolver rule."""

    plain: str
    password: str
    cloaked: str
    expired: str
    targeted: str

    def all(self) -> list[str]:
        """Return every shortId."""
        return [self.plain, self.password, self.cloaked, self.expired, self.targeted]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    """A default ``hoko-mock`` whose rate limit the fuzzing never reaches."""
    with hoko_mock("--rate-limit", "10000000") as running:
        yield running


@pytest.fixture(scope="module")
def links(mock: MockProcess) -> Links:
    """Create one link per resolver rule and return their shortIds."""
    base = {"url": "https://example.com/fz", "collectionId": COLLECTION}
    batch = [
        base,
        {**base, "password": "launch"},
        {**base, "cloaked": True},
        {**base, "expiresAt": "2020-01-01T00:00:00Z"},
        {**base, "ios": "https://example.com/i", "geo": {"SA": "https://example.com/sa"}},
    ]
    answer = httpx.post(
        f"{mock.base_url}/api/links",
        headers={"Authorization": KEYS[0].decode()},
        json=batch,
        timeout=REQUEST_TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    return Links(*(link["shortUrl"].rsplit("/", 1)[1] for link in answer.json()))


ODD_SEGMENTS = st.one_of(
    st.binary(min_size=1, max_size=60).map(lambda raw: "".join(f"%{b:02X}" for b in raw).encode()),
    st.text(min_size=1, max_size=40).map(lambda text: urllib.parse.quote(text, safe="").encode()),
    st.sampled_from([b"a" * 5_000, b"a" * 20_000, b"%2F..%2F", b"..", b"%00", b"x.y.z", b"~"]),
)
QUERIES = st.one_of(
    st.just(b""),
    st.sampled_from([b"?qr=1", b"?pw=", b"?pw=launch", b"?pw=" + b"x" * 8000, b"?%ff=%fe"]),
    st.binary(max_size=80).map(lambda raw: b"?" + urllib.parse.quote_from_bytes(raw).encode()),
)
USER_AGENTS = st.one_of(
    header_bytes,
    st.sampled_from([b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)", b"", b"(" * 2000]),
)
FORM_TYPES = st.sampled_from(
    [b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x", b"text/plain", b""]
)
FORM_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: urllib.parse.urlencode({"password": t}).encode()),
    st.sampled_from([b"password=" + b"x" * 5_000, b"password=%ff%fe", b"password&password=a"]),
)
QR_VALUES = st.one_of(
    st.sampled_from(["", "0", "-1", "²", "9" * 40, "FFF", "#00ff00", "L", "h", "svg", "PNG"]),
    st.text(max_size=30),
)


@st.composite
def qr_query(draw: st.DrawFn) -> bytes:
    """Draw a /qrcode query: each documented parameter maybe missing, odd or repeated."""
    pairs = [
        (name, draw(QR_VALUES) if name != "text" else draw(st.text(max_size=300)))
        for name in PARAMETERS
        if draw(st.integers(0, 3))
    ]
    if draw(st.integers(0, 9)) == 0:
        pairs.append(("text", "x" * draw(st.sampled_from([2_049, 3_000]))))
    return urllib.parse.urlencode(pairs).encode()


@st.composite
def short_link_requests(draw: st.DrawFn, links: Links) -> tuple[str, RawRequest]:
    """Draw a visit, a password form, a forged cookie or a /qrcode request."""
    kind = draw(st.sampled_from(list(ALLOWED)))
    headers: list[tuple[bytes, bytes]] = []
    if kind == "visit":
        segment = draw(st.one_of(ODD_SEGMENTS, st.sampled_from(links.all()).map(str.encode)))
        target = b"/" + segment + draw(QUERIES)
        headers.append((b"User-Agent", draw(USER_AGENTS)))
        headers += [(b"CF-IPCountry", draw(header_bytes)) for _ in range(draw(st.integers(0, 2)))]
        return kind, RawRequest(draw(st.sampled_from([b"GET", b"HEAD"])), target, tuple(headers))
    if kind == "password":
        headers.append((b"Content-Type", draw(FORM_TYPES)))
        body = draw(FORM_BODIES)
        repeats = draw(st.sampled_from([0, 0, 0, 20]))
        return kind, RawRequest(
            b"POST", b"/" + links.password.encode(), tuple(headers), body, body_repeats=repeats
        )
    if kind == "forged-cookie":
        value = draw(st.one_of(header_bytes, st.sampled_from([b"0" * 64, b"a" * 10_000])))
        cookie = draw(st.sampled_from([b"hoko_link_access=", b"", b"hoko_link_access=x; a="]))
        headers.append((b"Cookie", cookie + value))
        return kind, RawRequest(b"GET", b"/" + links.password.encode(), tuple(headers))
    return kind, RawRequest(b"GET", b"/qrcode?" + draw(qr_query()), ())


def problems(kind: str, request: RawRequest, answer: Answer) -> list[str]:
    """Return what is wrong with ``answer``: empty when it is a clear, allowed answer."""
    if answer.problem:
        return [answer.problem]
    if len(request.target) + sum(len(n) + len(v) + 4 for n, v in request.headers) > MAX_HEAD_BYTES:
        return [] if answer.status == 400 else [f"an oversized head got {answer.status}"]
    found = []
    content_type = answer.headers.get("content-type", "")
    allowed = ALLOWED[kind]
    # A segment another route owns (docs.x, openapi.y) gets that route's JSON 404 or 405.
    routed_elsewhere = content_type == "application/json" and answer.status in {404, 405}
    if answer.status not in allowed and not routed_elsewhere:
        found.append(f"status {answer.status} is not one of {sorted(allowed)}")
    if b"Traceback" in answer.body:
        found.append("the body shows a traceback")
    if answer.status in {302, 303} and not answer.headers.get("location"):
        found.append("a redirect lacks Location")
    if kind == "qr" and answer.status == 400:
        if content_type != "application/json":
            found.append(f"a /qrcode 400 is {content_type!r}, not JSON")
        elif answer.json()["issues"][0]["path"] not in PARAMETERS:
            found.append("a /qrcode 400 names no parameter")
    if kind == "qr" and answer.status == 200 and not content_type.startswith("image/"):
        found.append(f"a /qrcode 200 is {content_type!r}")
    if request.method != b"HEAD" and answer.status >= 400 and not answer.body:
        found.append("a 4xx has no body saying why")
    return found


@pytest.mark.parametrize(
    "total",
    [
        pytest.param(CI_REQUESTS, id="ci"),
        pytest.param(CAMPAIGN_REQUESTS, id="campaign", marks=pytest.mark.campaign),
    ],
)
def test_short_links_and_qr_codes_get_clear_answers(
    mock: MockProcess, links: Links, total: int
) -> None:
    tally = Tally()

    @given(drawn=short_link_requests(links))
    @settings(
        max_examples=total,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    def campaign(drawn: tuple[str, RawRequest]) -> None:
        kind, request = drawn
        answer = exchange(mock.port, request, REQUEST_TIMEOUT)
        tally.add(answer.status, answer.seconds)
        found = problems(kind, request, answer)
        assert not found, (
            f"unclear answer to a fuzzed {kind} request: {'; '.join(found)}\n"
            f"  received: {answer.status} {answer.body[:300]!r}\n"
            f"  reproduce: {request.curl(mock.base_url)}"
        )

    campaign()
    report(tally.line(f"fuzz (short links, password forms, cookies, /qrcode; {total} planned)"))
    assert sum(tally.statuses.values()) >= total * 0.95
    assert {200, 302, 400, 404} <= set(tally.statuses), "the fuzzing missed a resolver rule"
