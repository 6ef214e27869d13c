"""The proxy's fast paths agree with the plain readings they replace; startup tunes the GC."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid
import weakref
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import expectations
from contract_tests.proxy import bodies
from contract_tests.proxy.app import YOUNG_COLLECTION_THRESHOLD, ProxyApp
from contract_tests.proxy.forwarding import HOP_BY_HOP, end_to_end
from contract_tests.proxy.judge import Judge
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Traffic

UPSTREAM = "http://127.0.0.1:9"
COLLECTION = "550e8400-e29b-41d4-a716-446655440000"
SCALARS = st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.text(max_size=4)
VALUES = st.recursive(
    SCALARS, lambda inner: st.dictionaries(st.text(max_size=3), inner, max_size=3)
)
ITEMS = st.lists(st.dictionaries(st.sampled_from(["url", "title", "collectionId", "n"]), VALUES))
NAMES = st.sampled_from([b"Host", b"connection", b"Connection", b"X-Kept", b"keep-alive", b"TE"])
HEADERS = st.lists(st.tuples(NAMES, st.sampled_from([b"x", b"X-Kept", b"close, x-kept", b""])))


def _shown_as_json(items: list[dict[str, Any]]) -> str:
    shown = [
        {k: v for k, v in item.items() if k not in bodies.IGNORED_IN_EXAMPLES} for item in items
    ]
    return json.dumps(shown, sort_keys=True)


@given(ITEMS, ITEMS)
def test_bodies_compare_as_their_sorted_json_does(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    """Two request bodies match (an example, say) exactly when json's sorted texts of them do."""
    same_text = _shown_as_json(first) == _shown_as_json(second)
    assert (bodies.comparable(first) == bodies.comparable(second)) is same_text
    assert bodies.comparable(first) == bodies.comparable(json.loads(json.dumps(first)))


@given(HEADERS, st.booleans())
def test_end_to_end_drops_hop_by_hop_and_connection_named_headers(
    headers: list[tuple[bytes, bytes]], drop_host: bool
) -> None:
    """Forwarded: every header in order but hop-by-hop ones, those Connection names, Host."""
    drop = frozenset({b"host"}) if drop_host else frozenset()
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    removed = HOP_BY_HOP | named | drop
    assert end_to_end(headers, drop) == [(n, v) for n, v in headers if n.lower() not in removed]


@given(HEADERS)
def test_first_values_read_each_header_as_the_lookup_does(
    headers: list[tuple[bytes, bytes]],
) -> None:
    """The one-pass map of first values gives what a lookup of each name gives."""
    traffic = Traffic(0.0, "POST", "http://127.0.0.1/api/links", "1.1", [])
    traffic.response_headers = headers
    first = traffic.first_values()
    assert set(first) == {name.lower() for name, _ in headers}
    assert all(first[name] == traffic.header(name) for name in first)


def big_exchange(items: list[dict[str, Any]], links: list[Any] | None = None) -> Traffic:
    """Return a 201 exchange for ``items``, answered with ``links`` (none by default)."""
    body = json.dumps(items).encode()
    headers = [(b"authorization", b"Bearer hoko_test_full"), (b"content-type", b"application/json")]
    traffic = Traffic(0.0, "POST", "http://127.0.0.1:9/api/links", "1.1", headers, body, len(body))
    traffic.status, traffic.response_body = 201, json.dumps(links or []).encode()
    traffic.response_headers = [(b"content-type", b"application/json")]
    return traffic


def created(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the links a conforming server answers ``items`` with."""
    links = []
    for n, item in enumerate(items):
        short_url = f"{expectations.SHORT_URL_PREFIX}s{n}"
        derived = {"id": str(uuid.uuid4()), "shortUrl": short_url}
        derived["qrCode"] = expectations.qr_code_for(short_url)
        links.append({**derived, **item, "createdAt": "2026-12-01T00:00:00.000Z"})
    return links


ITEM = {"collectionId": COLLECTION, "title": "t", "externalId": "e"}
BROKEN = {
    "no fault": lambda items, links: None,
    "an invalid url": lambda items, links: items[1500].update(url="ftp://example.com/x"),
    "an echo changed": lambda items, links: links[1500].update(title="other"),
    "a qrCode changed": lambda items, links: links[7].update(qrCode="https://hoko.to/x"),
    "links reordered": lambda items, links: links.reverse(),
}


@pytest.mark.parametrize("fault", BROKEN)
def test_a_request_read_ahead_is_judged_as_one_read_at_the_answer(fault: str) -> None:
    """Read while the upstream works or read when it answers: the same violations."""
    items = [
        {**ITEM, "url": f"https://example.com/{n}", "externalId": f"e{n}"} for n in range(2000)
    ]
    links = created(items)
    BROKEN[fault](items, links)
    early, late = big_exchange(items, links), big_exchange(items, links)
    early_judge, late_judge = Judge(ProxySettings(UPSTREAM)), Judge(ProxySettings(UPSTREAM))
    early_judge.read_ahead(early)
    assert early.read_ahead is not None
    found_early = [(v.behaviour, v.what) for v in early_judge.judge(early)]
    found_late = [(v.behaviour, v.what) for v in late_judge.judge(late)]
    assert found_early == found_late
    assert bool(found_early) is (fault != "no fault")
    assert early.read_ahead is None  # the parsed body is not kept with the traffic


def test_what_a_judgement_read_is_kept_until_the_judge_forgets_it() -> None:
    """The parsed request outlives its judgement (freeing it waits for the answer) until forget."""
    items = [{**ITEM, "url": f"https://example.com/{n}", "externalId": f"e{n}"} for n in range(9)]
    traffic = big_exchange(items, created(items))
    judge = Judge(ProxySettings(UPSTREAM))
    judge.read_ahead(traffic)
    reading = weakref.ref(traffic.read_ahead)
    assert judge.judge(traffic) == []
    gc.collect()
    assert reading() is not None
    judge.forget()
    gc.collect()
    assert reading() is None


def test_a_reading_of_another_body_is_not_used() -> None:
    """A reading is used only for the very body it read."""
    traffic = big_exchange([{"url": "ftp://example.com/x", "collectionId": COLLECTION}])
    judge = Judge(ProxySettings(UPSTREAM))
    valid = big_exchange([{"url": "https://example.com/", "collectionId": COLLECTION}])
    judge.read_ahead(valid)
    traffic.read_ahead = valid.read_ahead
    assert "invalid.url" in [v.behaviour for v in judge.judge(traffic)]


def test_startup_freezes_what_it_built_and_collects_the_young_less_often() -> None:
    """After the proxy's startup its long-lived objects are frozen and young collections rarer."""
    gc.unfreeze()
    thresholds = gc.get_threshold()
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            sent.append(f"{gc.get_freeze_count() > 0} {gc.get_threshold()[0]}")

    try:
        asyncio.run(ProxyApp(ProxySettings(UPSTREAM)).lifespan(receive, send))
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert sent == [f"True {YOUNG_COLLECTION_THRESHOLD}"]


def test_what_a_201_teaches_is_learnt_after_its_answer_and_before_the_next_judgement() -> None:
    """The ids and externalIds a 201 accepted count from the next judgement on, forgot or not."""
    items = [{**ITEM, "url": f"https://example.com/{n}", "externalId": f"e{n}"} for n in range(9)]
    links = created(items)
    judge = Judge(ProxySettings(UPSTREAM))
    assert judge.judge(big_exchange(items, links)) == []
    assert judge.ledger.seen_ids == set()  # not yet: the verdict did not wait for it
    again = [{**item, "externalId": f"again-{n}"} for n, item in enumerate(items)]
    same_ids = [{**link, "externalId": f"again-{n}"} for n, link in enumerate(links)]
    repeated = [v.behaviour for v in judge.judge(big_exchange(again, same_ids))]
    assert repeated == ["create.unique-links"]
    judge.forget()
    assert {link["id"] for link in links} <= judge.ledger.seen_ids
    reused = [v.behaviour for v in judge.judge(big_exchange(items, created(items)))]
    assert "external-id.unique-across" in reused
