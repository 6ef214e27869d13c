"""The evidence the proxy reads from traffic to name a broken rule, and where it holds back."""

from __future__ import annotations

import asyncio
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from contract_reference import FULL_KEY, error
from contract_serving import serving
from proxy_running import running_proxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contract_tests.proxy import attribution
from contract_tests.proxy.traffic import Traffic

HEADERS = {"Authorization": f"Bearer {FULL_KEY}", "Content-Type": "application/json"}


def answered(number: int, remaining: int, reset: str = "100", alone: bool = True) -> Traffic:
    """Return a 201 exchange whose answer names the window."""
    headers = [
        (b"X-RateLimit-Limit", b"50"),
        (b"X-RateLimit-Remaining", str(remaining).encode()),
        (b"X-RateLimit-Reset", reset.encode()),
    ]
    return Traffic(
        0.0, "POST", "http://127.0.0.1/api/links", "1.1", [], status=201,
        response_headers=headers, number=number, alone=alone,
    )  # fmt: skip


def count(number: int, remaining: int, reset: str = "100", alone: bool = True) -> attribution.Count:
    """Return the window an answer shows."""
    traffic = answered(number, remaining, reset, alone)
    found = attribution.count_of(traffic, traffic.first_values())
    assert found is not None
    return found


def test_remaining_must_fall_by_one_between_sequential_answers() -> None:
    assert attribution.miscounted(count(1, 40), count(2, 39)) is None
    assert "40 -> 40" in str(attribution.miscounted(count(1, 40), count(2, 40)))
    assert "40 -> 37" in str(attribution.miscounted(count(1, 40), count(2, 37)))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (count(1, 40, alone=False), count(2, 37)),  # overlapped another exchange
        (count(1, 40), count(2, 37, alone=False)),
        (count(1, 40), count(3, 37)),  # another exchange came between
        (count(1, 40), count(2, 37, reset="160")),  # a new window
        (count(1, 40), count(2, 49)),  # a fresh window's first answer, reset out of sight
        (count(1, 3), count(2, 0)),  # the window spent
    ],
)
def test_remaining_is_not_judged_where_the_order_is_unknown(
    before: attribution.Count, after: attribution.Count
) -> None:
    assert attribution.miscounted(before, after) is None


def test_counts_need_integer_headers() -> None:
    traffic = answered(1, 5)
    traffic.response_headers = [(b"X-RateLimit-Remaining", b"5")]
    assert attribution.count_of(traffic, traffic.first_values()) is None


def test_folded_collision_is_only_case_or_unicode_form() -> None:
    nfc, nfd = (unicodedata.normalize(form, "café") for form in ("NFC", "NFD"))
    assert attribution.folded_collision(["id-Mixed", "id-mixed"], set()) == "id-mixed"
    assert attribution.folded_collision([f"x-{nfd}"], {f"x-{nfc}"}) == f"x-{nfd}"
    assert attribution.folded_collision(["same", "same"], set()) is None
    assert attribution.folded_collision(["taken"], {"taken"}) is None
    assert attribution.folded_collision(["one", "two"], {"three"}) is None


def test_repeated_url_within_a_batch_or_across() -> None:
    items = [{"url": "https://example.com/a"}, {"url": "https://example.com/b"}]
    assert attribution.repeated_url(items, set()) is None
    assert attribution.repeated_url([*items, items[0]], set()) == "https://example.com/a"
    assert attribution.repeated_url(items, {"https://example.com/b"}) == "https://example.com/b"


def test_edges_match_values_and_maps_holding_them() -> None:
    edges = [("url", "https://example.com:8443/path", "url x url-port"), ("cloaked", True, "t")]
    edges.append(("geo", {"SA": "https://example.com:8443/path"}, "geo x value.url-port"))
    item = {"url": "https://example.com:8443/path", "cloaked": 1, "geo": {"SA": edges[0][1]}}
    assert attribution.edge_fields(item, edges) == [
        ("url", "url x url-port"),
        ("geo", "geo x value.url-port"),
    ]


def counting_upstream() -> tuple[Starlette, dict[str, int]]:
    """Return a server that counts each request on arrival and answers after X-Answer-Delay."""
    state = {"used": 0}

    async def create(request: Request) -> Response:
        await request.body()
        state["used"] += 1
        headers = {
            "X-RateLimit-Limit": "500",
            "X-RateLimit-Remaining": str(500 - state["used"]),
            "X-RateLimit-Reset": "4102444800",
        }
        await asyncio.sleep(float(request.headers.get("x-answer-delay", "0")))
        return error(400, None, headers)

    return Starlette(routes=[Route("/api/links", create, methods=["POST"])]), state


@pytest.mark.slow
def test_overlapping_requests_make_no_remaining_violation() -> None:
    """Answers that arrive out of counting order show Remaining rising and jumping: not judged."""
    app, state = counting_upstream()
    with (
        serving(app) as served,
        running_proxy(served.url, "--quiet", har=False) as proxy,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        url = f"{proxy.url}/api/links"
        release = threading.Event()

        def stalled_body() -> Iterator[bytes]:
            yield b"["
            release.wait(timeout=30)
            yield b"]"

        def post(body: bytes | Iterator[bytes], delay: float = 0) -> httpx.Response:
            headers = {**HEADERS, "X-Answer-Delay": str(delay)}
            return httpx.post(url, content=body, headers=headers, timeout=30)

        def wait_until(done: Callable[[], bool]) -> None:
            for _ in range(500):
                if done():
                    return
                time.sleep(0.01)

        answers = [post(b"[]") for _ in range(2)]
        stalled = pool.submit(post, stalled_body())  # taken in by the proxy, counted later
        wait_until(
            lambda: httpx.get(f"{proxy.url}/__proxy/health", timeout=10).json()["exchanges"] == 3
        )
        slow = pool.submit(post, b"[]", 0.5)  # counted at once, answered last
        wait_until(lambda: state["used"] == 3)
        release.set()
        answers += [stalled.result(timeout=30), slow.result(timeout=30), post(b"[]")]
        listing = proxy.violations()
        assert proxy.stop() == 0, listing["violations"][:2]
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in answers]
    assert remaining == [499, 498, 496, 497, 495]  # the slow one counted before the stalled one
    assert listing["total"] == 0


def test_refusal_evidence_names_each_rule_the_request_points_at() -> None:
    port = "https://example.com:8443/path"
    edges = [("url", port, "url x url-port")]
    seen = {"https://example.com/seen"}
    folded = [{"url": port, "externalId": "order-1"}, {"url": "https://example.com/seen"}]
    found = dict(attribution.refusal_evidence(folded, {"Order-1"}, seen, edges))
    assert set(found) == {"external-id.exact-equality", "matrix.accepted"}  # the id explains
    assert "url x url-port" in found["matrix.accepted"]
    again = [{"url": "https://example.com/seen", "externalId": "order-2"}]
    assert [b for b, _ in attribution.refusal_evidence(again, set(), seen, edges)] == [
        "create.same-url"
    ]
    plain = [{"url": "https://example.com/new", "externalId": "order-3"}]
    assert attribution.refusal_evidence(plain, {"Order-1"}, seen, edges) == []


def test_edge_echoes_are_the_echo_problems_of_edge_values() -> None:
    edges = [("url", "https://EXAMPLE.COM/Path", "url x url-upper-host")]
    items = [{"url": "https://example.com/a"}, {"url": "https://EXAMPLE.COM/Path"}]
    problems = [
        "link 0: 'url' sent 'https://example.com/a', echoed 'x'",
        "link 1: 'url' sent 'https://EXAMPLE.COM/Path', echoed 'https://example.com/Path'",
    ]
    assert attribution.edge_echoes(items, problems, edges) == [
        f"url x url-upper-host: {problems[1]}"
    ]
