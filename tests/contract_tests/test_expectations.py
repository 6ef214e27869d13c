"""The contract's rules as the suite applies them, on hand-made responses."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import openapi
from contract_tests import expectations
from contract_tests.transport import Received

JSON = {"content-type": "application/json"}
DOC_SHORT_URL = "https://hoko.to/abc123"


def received(status: int, body: Any, headers: dict[str, str] | None = None) -> Received:
    """Return a JSON response."""
    return Received(status, {**JSON, **(headers or {})}, json.dumps(body).encode())


def created_link(item: dict[str, Any], short_id: str = "abc123") -> dict[str, Any]:
    """Return a correct created link for ``item``."""
    short_url = f"https://hoko.to/{short_id}"
    return {
        **item,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, short_id)),
        "shortUrl": short_url,
        "qrCode": expectations.qr_code_for(short_url),
        "createdAt": "2024-01-01T00:00:00Z",
    }


def test_qr_code_derivation_matches_the_documented_example() -> None:
    """The derivation rebuilds the documentation's own qrCode from its shortUrl."""
    documented = openapi.response_examples(201)["documentedWithMetadata"][0]
    assert expectations.qr_code_for(documented["shortUrl"]) == documented["qrCode"]


def test_documented_examples_have_no_problems() -> None:
    """Every documented error example passes its own status' check."""
    for status in (400, 401, 403):
        (body,) = openapi.response_examples(status).values()
        assert expectations.error_problems(received(status, body), status, strict=True) == []


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-12-31T23:59:00Z", True),
        ("2026-12-31T23:59:00.123+03:00", True),
        ("2016-12-31T23:59:60Z", True),
        ("2026-12-31", False),
        ("2026-02-30T00:00:00Z", False),
        ("2026-12-31T23:59:00", False),
        ("2026-12-31T23:59:00+24:00", False),
    ],
)
def test_date_times_follow_rfc_3339(text: str, valid: bool) -> None:
    """createdAt must be an RFC 3339 date-time."""
    assert expectations.is_datetime(text) is valid


def test_relax_removes_only_the_free_bounds() -> None:
    """maxLength and maxProperties go; maxItems, patterns and required stay."""
    relaxed = json.dumps(expectations.relax(openapi.load_spec()["components"]))
    assert "maxLength" not in relaxed
    assert "maxProperties" not in relaxed
    assert "maxItems" in relaxed
    assert "pattern" in relaxed


def test_a_correct_answer_has_no_problems() -> None:
    """Echoed fields, derived shortUrl and qrCode, request order: nothing to report."""
    items = [{"url": "https://a.com", "title": "  é  "}, {"url": "https://b.com"}]
    body = [created_link(items[0], "x1"), created_link(items[1], "x2")]
    assert expectations.created_problems(items, received(201, body), strict=False) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda links: links.reverse(), "not in request order"),
        (lambda links: links[0].update(title="changed"), "'title' sent"),
        (lambda links: links[0].update(qrCode="https://hoko.to/qrcode?text=x"), "qrCode"),
        (lambda links: links[0].update(shortUrl="http://hoko.to/x1"), "is not on"),
        (lambda links: links[1].update(shortUrl=links[0]["shortUrl"]), "share a shortUrl"),
        (lambda links: links.pop(), "1 links for 2 items"),
        (lambda links: links[0].pop("createdAt"), "createdAt"),
    ],
)
def test_each_broken_answer_is_named(mutate: Any, expected: str) -> None:
    """Each way a 201 can be wrong produces a problem that says so."""
    items = [{"url": "https://a.com", "title": "t"}, {"url": "https://b.com"}]
    links = [created_link(items[0], "x1"), created_link(items[1], "x2")]
    mutate(links)
    problems = expectations.created_problems(items, received(201, links), strict=False)
    assert any(expected in problem for problem in problems), problems


def test_free_points_pass_unless_strict() -> None:
    """Omitted optional echoes and extra fields pass; strict names the omission."""
    item = {"url": "https://a.com", "title": "t", "unknownThing": 1}
    link = {**created_link({"url": item["url"]}), "extra": True}
    assert expectations.created_problems([item], received(201, [link]), strict=False) == []
    assert expectations.strict_echo_problems(item, link) == ["'title' not echoed"]


def test_429_needs_its_headers_and_a_matching_retry_after() -> None:
    """X-RateLimit-* are required on 429; Retry-After, when sent, equals retryAfter."""
    body = {"error": {"en": "Rate limit exceeded", "ar": "تم تجاوز حد المعدل"}, "retryAfter": 5}
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "99"}
    assert expectations.error_problems(received(429, body, headers), 429, strict=False) == []
    wrong = expectations.error_problems(
        received(429, body, {**headers, "retry-after": "7"}), 429, strict=False
    )
    assert any("Retry-After" in problem for problem in wrong)
    bare = expectations.error_problems(received(429, body), 429, strict=False)
    assert len([problem for problem in bare if "header" in problem]) == 3


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON_VALUES, JSON_VALUES)
def test_echo_comparison_is_equality_of_json_texts(left: Any, right: Any) -> None:
    as_text = json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)
    assert expectations._same(left, right) == as_text
    assert expectations._same(left, left)


def percent_encoded(short_url: str) -> str:
    """Return the qrCode of decision 5 built the slow way: the whole shortUrl percent-encoded."""
    encoded = urllib.parse.quote(short_url + "?qr=1", safe="-_.!~*'()")
    return expectations.QR_CODE_PREFIX + encoded + expectations.QR_CODE_SUFFIX


@given(st.text(max_size=12))
def test_qr_code_built_around_the_short_id_is_the_percent_encoded_one(short_id: str) -> None:
    short_url = expectations.SHORT_URL_PREFIX + short_id
    assert expectations.qr_code_for(short_url) == percent_encoded(short_url)
    link = {"shortUrl": short_url, "qrCode": percent_encoded(short_url)}
    named = [p for p in expectations.link_problems({}, link) if "qrCode" in p]
    assert named == []


@given(st.lists(st.tuples(JSON_VALUES, JSON_VALUES), max_size=5), st.randoms())
def test_order_check_names_exactly_a_reordering(pairs: list[Any], random: Any) -> None:
    items = [{"url": url, "externalId": external_id} for url, external_id in pairs]
    shuffled = list(items)
    random.shuffle(shuffled)

    def keys(entries: list[Any]) -> list[str]:
        return [repr((entry["url"], entry["externalId"])) for entry in entries]

    reordered = keys(items) != keys(shuffled)
    expected = ["links are not in request order"] if reordered else []
    assert expectations._order_problems(items, shuffled) == expected


@given(JSON_VALUES.filter(lambda value: not isinstance(value, str)))
def test_values_other_than_strings_are_never_date_times(value: Any) -> None:
    assert expectations.is_datetime(value) is False


def repeats_one_by_one(links: list[Any], seen_ids: set[str], seen_short_urls: set[str]) -> int:
    """Count the repeats the plain way: each link against all before it, then remembered."""
    repeats = 0
    for link in links:
        if isinstance(link, dict):
            link_id, short_url = str(link.get("id")), str(link.get("shortUrl"))
            repeats += (link_id in seen_ids) + (short_url in seen_short_urls)
            seen_ids.add(link_id)
            seen_short_urls.add(short_url)
    return repeats


LINK_IDS = st.sampled_from(["a", "b", "c", 1, None])


@given(
    st.lists(st.fixed_dictionaries({"id": LINK_IDS, "shortUrl": LINK_IDS}) | st.none(), max_size=6),
    st.sets(st.sampled_from(["a", "b", "1"]), max_size=2),
)
def test_repeated_ids_are_found_as_one_by_one_checks_find_them(
    links: list[Any], seen: set[str]
) -> None:
    """Every id or shortUrl given before (in this response or an earlier one) is reported."""
    seen_ids, seen_short_urls = set(seen), set(seen)
    keys = expectations.link_keys(links)
    problems = expectations.repeated_link_problems(keys, seen_ids, seen_short_urls)
    assert (seen_ids, seen_short_urls) == (seen, seen)  # told, not yet remembered
    expectations.remember_links(keys, seen_ids, seen_short_urls)
    plain_ids, plain_short_urls = set(seen), set(seen)
    assert len(problems) == repeats_one_by_one(links, plain_ids, plain_short_urls)
    assert (seen_ids, seen_short_urls) == (plain_ids, plain_short_urls)


ECHOED = st.sampled_from(["x", "", "é", 1, 1.0, True, False, None, -0.0, 0.0, 2**70, {"a": "x"}])
MUTATIONS = st.sampled_from(
    [
        None,
        ("title", "x"),
        ("title", 1),
        ("cloaked", 1),
        ("utm", {"a": "y"}),
        ("utm", {"a": 1}),
        ("url", "https://example.com/other"),
        ("shortUrl", "https://hoko.to/a\nb"),
        ("shortUrl", "https://hoko.to/"),
        ("shortUrl", "http://hoko.to/abc"),
        ("qrCode", "https://hoko.to/qrcode?text=x"),
        ("createdAt", "yesterday"),
        ("id", "not-checked-here"),
        "drop-title",
        "swap",
        "line-break-in-short-id",
        "not-an-object",
        "drop-created-at",
    ]
)


@given(
    st.lists(st.tuples(ECHOED, st.booleans()), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), MUTATIONS), max_size=2),
)
def test_batch_passes_never_call_clean_what_the_link_walk_faults(
    values: list[tuple[Any, bool]], mutations: list[tuple[int, Any]]
) -> None:
    """The whole-batch check says clean only when every link and the order check agree."""
    items = [
        {"url": f"https://example.com/{n}", "title": title, "cloaked": cloaked, "utm": {"a": "x"}}
        for n, (title, cloaked) in enumerate(values)
    ]
    links = [created_link(json.loads(json.dumps(item)), f"s{n}") for n, item in enumerate(items)]
    assert expectations._links_clean(links, expectations.sent_echoes(items)) is all(
        type(title) is not int or isinstance(title, bool) or abs(title) < 2**63
        for title, _ in values
    )  # a correct answer is clean, but for an integer orjson cannot write: that one is walked
    for index, mutation in mutations:
        link = links[index % len(links)]
        if not isinstance(link, dict):
            continue  # replaced by a list already
        if mutation == "drop-title":
            link.pop("title", None)
        elif mutation == "swap":
            links.reverse()
        elif mutation == "not-an-object":
            links[index % len(links)] = ["a", "list"]
        elif mutation == "drop-created-at":
            link.pop("createdAt", None)
        elif mutation == "line-break-in-short-id":  # with the qrCode that goes with it
            link["shortUrl"] = expectations.SHORT_URL_PREFIX + "a\nb"
            link["qrCode"] = expectations._qr_code_around("a\nb")
        elif mutation is not None:
            link[mutation[0]] = mutation[1]
    if expectations._links_clean(links, expectations.sent_echoes(items)):
        assert all(type(link) is dict for link in links)
        assert all(
            not expectations.link_problems(i, link) for i, link in zip(items, links, strict=True)
        )
        assert expectations._order_problems(items, links) == []
