"""Hostile requests as Hypothesis strategies, and the answers the documentation allows for them."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import strategies as st

from mock_server.protocol import MAX_HEAD_BYTES
from tests.reliability.wire import Answer, RawRequest

COLLECTION = "550e8400-e29b-41d4-a716-446655440000"
KEYS = (b"Bearer hoko_test_full", b"Bearer hoko_test_noscope", b"Bearer hoko_test_basic")
API = b"/api/links"
# Statuses each kind of target may answer; everything else (a 5xx above all) is a failure.
DOCUMENTED = {
    "api": {201, 400, 401, 403, 429},
    "api-other-method": {405},
    "control": {200, 400},
    "control-other-method": {405},
    "unknown": {404, 405},
}
BODY_CAP_MARGIN = 1


def valid_link(**fields: Any) -> dict[str, Any]:
    """Return a valid link with every plan-gated field, so only the key's plan decides."""
    return {
        "url": "https://example.com",
        "collectionId": COLLECTION,
        "title": "t",
        "geo": {"SA": "https://example.com/sa"},
        **fields,
    }


BROKEN_FIELDS: list[tuple[str, Any]] = [
    ("url", "invalid-url"),
    ("url", None),
    ("url", "ftp://example.com"),
    ("collectionId", "not-a-uuid"),
    ("collectionId", "00000000-0000-4000-8000-000000000000"),
    ("title", 7),
    ("utm", {"source": ["x"]}),
    ("expiresAt", "tomorrow"),
    ("cloaked", "yes"),
    ("geo", {"sa": "https://example.com"}),
    ("geo", {"SA": "not a url"}),
    ("externalId", ""),
    ("partnerId", "x" * 40),
    ("image", "javascript:alert(1)"),
    ("unknownField", "kept out of the answer"),
]


@st.composite
def near_valid_batch(draw: st.DrawFn) -> bytes:
    """Draw a batch of valid links with exactly one field of one link broken."""
    size = draw(st.integers(1, 6))
    items = [valid_link(externalId=f"fz-{draw(st.uuids())}") for _ in range(size)]
    name, value = draw(st.sampled_from(BROKEN_FIELDS))
    target = items[draw(st.integers(0, size - 1))]
    if value is None:
        target.pop(name)
    else:
        target[name] = value
    return orjson.dumps(items)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["url", "collectionId", "title", "x"]), children, max_size=5
        )
    ),
    max_leaves=20,
)

# Texts no JSON parser should accept, or should accept only with care.
HOSTILE_TEXTS = st.sampled_from(
    [
        b"[" + b"9" * 10_000 + b"]",
        b'[{"url": "https://example.com", "collectionId": "%s", "title": %s}]'
        % (COLLECTION.encode(), b"1" * 10_000),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[NaN]",
        b"[Infinity, -Infinity]",
        b"[1e999999]",
        b'["\\ud800"]',
        b'[{"url": "https://example.com/\\udfff", "collectionId": "%s"}]' % COLLECTION.encode(),
        b'["\xff\xfe\xfd"]',
        b'[{"url": "https://example.com/\xc3\x28", "collectionId": "%s"}]' % COLLECTION.encode(),
        b"\xef\xbb\xbf[]",
        b"",
        b"   ",
        b"null",
        b"[]",
        b"{}",
        b"[null]",
    ]
)

bodies = st.one_of(
    st.binary(max_size=400),
    HOSTILE_TEXTS,
    # The standard library writes big integers and escapes lone surrogates, as fuzzing wants.
    json_values.map(lambda value: json.dumps(value).encode()),
    near_valid_batch(),
    st.builds(lambda n: orjson.dumps([valid_link() for _ in range(n)]), st.integers(1, 8)),
)

# Header values: legal field bytes (visible ASCII, space, tab, obs-text 0x80-0xFF).
header_bytes = st.binary(max_size=40).map(
    lambda raw: bytes(b if b >= 0x20 and b != 0x7F else 0x20 for b in raw)
)
authorizations = st.one_of(
    # Mostly a known key, so most requests get past authentication to the body.
    st.sampled_from(KEYS),
    st.sampled_from(KEYS),
    st.sampled_from(KEYS),
    st.sampled_from(
        [b"Bearer hoko_test_full ", b"bearer hoko_test_full", b"Basic eDp5", b"Bearer"]
    ),
    header_bytes.map(lambda value: b"Bearer " + value),
)
content_types = st.one_of(
    st.sampled_from(
        [
            b"application/json",
            b"application/json; charset=utf-8",
            b"application/problem+json",
            b"APPLICATION/JSON",
            b"text/plain",
            b"application/x-www-form-urlencoded",
            b"multipart/form-data; boundary=x",
            b"*/*",
            b"",
        ]
    ),
    header_bytes,
)
prefers = st.one_of(
    st.sampled_from([b"code=201", b"code=429", b"code=400, example=invalidRequest", b"code=\xb2"]),
    st.sampled_from([b"code=" + b"9" * 5000, b"example=nope", b"code=500", b"code=404"]),
    header_bytes,
)
header_names = st.sampled_from(
    [b"Authorization", b"Content-Type", b"Prefer", b"X-Extra", b"Accept", b"User-Agent"]
)


@st.composite
def header_lines(draw: st.DrawFn) -> tuple[tuple[bytes, bytes], ...]:
    """Draw headers: each of Authorization, Content-Type, Prefer maybe missing or repeated."""
    lines: list[tuple[bytes, bytes]] = []
    for name, values in (
        (b"Authorization", authorizations),
        (b"Content-Type", content_types),
        (b"Prefer", prefers),
    ):
        repeats = draw(st.sampled_from([1, 1, 1, 1, 0, 2]) if name != b"Prefer" else st.just(0))
        if name == b"Prefer" and draw(st.integers(0, 9)) == 0:
            repeats = draw(st.integers(1, 2))
        lines += [(name, draw(values)) for _ in range(repeats)]
    if draw(st.integers(0, 19)) == 0:
        size = draw(st.sampled_from([8_000, 60_000]))
        lines.append((draw(header_names), b"h" * size))
    if draw(st.integers(0, 19)) == 0:
        lines += [(b"X-Many-%d" % index, b"v") for index in range(draw(st.integers(50, 500)))]
    return tuple(draw(st.permutations(lines)))


CONTROL_TARGETS = st.sampled_from(
    [b"/__mock/journal?limit=", b"/__mock/links?externalId=", b"/__mock/links?collectionId="]
)
query_values = st.one_of(
    st.sampled_from([b"%C2%B2", b"9" * 5000, b"-1", b"", b"%00", b"%ED%A0%80", b"%FF"]),
    st.binary(max_size=20).map(lambda raw: "".join(f"%{b:02X}" for b in raw).encode()),
)


@st.composite
def hostile_requests(draw: st.DrawFn) -> tuple[str, RawRequest]:
    """Draw a request and the kind of target it aims at (a key of ``DOCUMENTED``)."""
    where = draw(st.sampled_from(["api"] * 17 + ["api-other-method", "control", "unknown"]))
    method, target = b"POST", API
    if where == "api-other-method":
        method = draw(st.sampled_from([b"GET", b"PUT", b"DELETE", b"PATCH", b"OPTIONS"]))
    elif where == "control":
        method, target = b"GET", draw(CONTROL_TARGETS) + draw(query_values)
    elif where == "unknown":
        method = draw(st.sampled_from([b"GET", b"POST"]))
        target = draw(st.sampled_from([b"/api/link", b"/api/links/x", b"/", b"/__mock/nope"]))
    body = draw(bodies) if method in {b"POST", b"PUT", b"PATCH"} else b""
    return where, RawRequest(method, target, draw(header_lines()), body)


def giant_requests(body_cap: int) -> list[tuple[str, RawRequest]]:
    """Return the few requests too big for Hypothesis: 50 MB, and over the cap both ways."""
    headers = ((b"Authorization", KEYS[0]), (b"Content-Type", b"application/json"))
    megabyte = b"[" + b" " * (1 << 20)
    over = body_cap // len(megabyte) + BODY_CAP_MARGIN
    return [
        ("api", RawRequest(headers=headers, body=megabyte, body_repeats=49)),
        ("api", RawRequest(headers=headers, body=b"[" + b"1," * (1 << 19), body_repeats=49)),
        ("api", RawRequest(headers=headers, body=megabyte, body_repeats=over)),
        ("api", RawRequest(headers=headers, body=megabyte, body_repeats=over, chunked=True)),
    ]


def head_bytes(request: RawRequest) -> int:
    """Return the size of the request's head as the mock counts it against its limit."""
    lines = RawRequest(headers=request.headers, body=request.body).head().split(b"\r\n")[1:]
    fields = [line.partition(b": ") for line in lines if line]
    return len(request.target) + sum(len(name) + len(value) + 4 for name, _, value in fields)


def problems(where: str, request: RawRequest, answer: Answer) -> list[str]:
    """Return what is undocumented about ``answer``; empty when it is a documented answer."""
    if answer.problem:
        return [answer.problem]
    # The HTTP layer refuses a head over its limit before the app, and so the key, is reached.
    refused_head = head_bytes(request) > MAX_HEAD_BYTES
    if refused_head and answer.status != 400:
        return [f"a head over {MAX_HEAD_BYTES} bytes got {answer.status}"]
    found: list[str] = []
    # A refused head gets the documented 400 whatever its method and target.
    if answer.status not in DOCUMENTED[where] and not refused_head:
        found.append(f"status {answer.status} is not one of {sorted(DOCUMENTED[where])}")
    if not answer.headers.get("content-type", "").startswith("application/json"):
        found.append(f"Content-Type {answer.headers.get('content-type')!r} is not JSON")
        return found
    try:
        body = answer.json()
    except orjson.JSONDecodeError:
        return [*found, "the body is not JSON"]
    if answer.status == 201:
        if not (isinstance(body, list) and all("shortUrl" in link for link in body)):
            found.append("a 201 body is not an array of links")
    elif answer.status >= 400:
        fields = body if isinstance(body, dict) else {}
        error = fields.get("error")
        if not (isinstance(error, dict) and set(error) == {"en", "ar"}):
            found.append("an error body is not {error: {en, ar}}")
        if answer.status == 403 and fields.get("missingScopes") != ["linksWrite"]:
            found.append("a 403 body lacks missingScopes")
        if answer.status == 429 and "retry-after" not in answer.headers:
            found.append("a 429 lacks Retry-After")
    # The Prefer header is read before the key, so a rejected Prefer carries no rate window.
    prefer_rejected = isinstance(body, dict) and "available" in body
    if (
        where == "api"
        and answer.status != 401
        and not prefer_rejected
        and not refused_head
        and "x-ratelimit-limit" not in answer.headers
    ):
        found.append("an authenticated answer lacks X-RateLimit-Limit")
    return found
