"""What the proxy tells about violations (header, listing, log, JUnit, HAR, 502), on any body."""

from __future__ import annotations

import gzip
import json
import signal
from pathlib import Path

import httpx
import pytest
from contract_commands import parse_report
from contract_reference import COLLECTION, FULL_KEY, ServerOptions, build_app
from contract_serving import serving
from proxy_running import running_proxy
from starlette.middleware.gzip import GZipMiddleware

from tests.mock_server.conftest import hoko_mock

HEADERS = {"Authorization": f"Bearer {FULL_KEY}", "Content-Type": "application/json"}
LINK = {"url": "https://example.com/a", "collectionId": COLLECTION}


def post(proxy_url: str, items: object) -> httpx.Response:
    """POST ``items`` to the proxy's /api/links as the linksWrite key."""
    return httpx.post(f"{proxy_url}/api/links", json=items, headers=HEADERS, timeout=30)


def test_violation_is_a_header_a_listing_log_lines_and_a_junit_failure(tmp_path: Path) -> None:
    with (
        serving(build_app(ServerOptions(fault="missing-qr-code"))) as served,
        running_proxy(served.url, "--keep", "3", folder=tmp_path) as proxy,
    ):
        answers = [post(proxy.url, [{**LINK, "title": f"n{i}"}]) for i in range(5)]
        clean = httpx.post(f"{proxy.url}/api/links", timeout=30)  # 401, as documented
        listing = proxy.violations()
        limited = httpx.get(f"{proxy.url}/__proxy/violations?limit=1", timeout=10).json()
        bad_limit = httpx.get(f"{proxy.url}/__proxy/violations?limit=x", timeout=10)
        assert proxy.stop() == 1
    first = answers[0]
    assert first.status_code == 201
    assert first.headers["hoko-contract-violations"] == "1; create.response-body"
    assert "qrCode" not in first.json()[0]  # the upstream's own answer, unchanged
    assert clean.status_code == 401
    assert "hoko-contract-violations" not in clean.headers
    assert listing["total"] == 5
    assert listing["kept"] == 3
    assert [v["exchange"] for v in listing["violations"]] == [5, 4, 3]  # newest first
    assert [v["exchange"] for v in limited["violations"]] == [5]
    assert bad_limit.status_code == 400
    violation = listing["violations"][0]
    assert violation["behaviour"] == "create.response-body"
    assert "qrCode" in violation["what"]
    assert violation["reproduce"].startswith("curl -X POST " + served.url + "/api/links")
    assert "Bearer hoko****" in violation["reproduce"]
    log = proxy.stderr
    assert log.count("FAIL create.response-body") == 5
    for part in ("what failed:", "sent:", "received:", "documented:", "reproduce:   curl"):
        assert part in log
    assert FULL_KEY not in log + json.dumps(listing)
    cases = {c.get("name"): c for c in parse_report(proxy.files["junit"]).iter("testcase")}
    failure = cases["create.response-body"].find("failure")
    assert failure is not None
    assert "qrCode" in (failure.text or "")
    assert cases["auth.missing-header"].find("skipped") is None  # the clean 401 passed
    assert proxy.stdout.strip().splitlines()[-1].endswith("5 violations")


def test_fail_on_violation_answers_502_and_the_har_keeps_the_original(tmp_path: Path) -> None:
    with (
        serving(build_app(ServerOptions(fault="short-url-http"))) as served,
        running_proxy(served.url, "--fail-on-violation", folder=tmp_path) as proxy,
    ):
        replaced = post(proxy.url, [LINK])
        clean = post(proxy.url, [])
        assert proxy.stop() == 1
    assert replaced.status_code == 502
    body = replaced.json()
    assert body["proxyError"] == "contract-violation"
    assert body["upstreamStatus"] == 201
    assert [v["behaviour"] for v in body["violations"]] == ["create.response-body"]
    assert "shortUrl" in body["violations"][0]["what"]
    assert clean.status_code == 400
    entries = proxy.har()["log"]["entries"]
    original = entries[0]["response"]
    assert original["status"] == 201
    assert json.loads(original["content"]["text"])[0]["shortUrl"].startswith("http://hoko.to/")
    assert "replaced by a 502" in entries[0]["comment"]


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_har_on_exit_is_valid_and_masks_secrets(tmp_path: Path, stop_with: signal.Signals) -> None:
    with (
        serving(build_app(ServerOptions())) as served,
        running_proxy(served.url, folder=tmp_path) as proxy,
    ):
        post(proxy.url, [LINK])
        httpx.get(
            f"{proxy.url}/elsewhere?x=1",
            headers={"Cookie": "session=secret-cookie", "X-Mock-Admin-Token": "admin-secret"},
            timeout=10,
        )
        proxy.process.send_signal(stop_with)
        assert proxy.stop() == 0
    text = proxy.files["har"].read_text(encoding="utf-8")
    assert FULL_KEY not in text
    assert "secret-cookie" not in text
    assert "admin-secret" not in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    created, elsewhere = log["entries"]
    assert created["request"]["method"] == "POST"
    assert {"name": "authorization", "value": "Bearer hoko****"} in created["request"]["headers"]
    assert json.loads(created["request"]["postData"]["text"]) == [LINK]
    assert created["response"]["status"] == 201
    assert elsewhere["request"]["queryString"] == [{"name": "x", "value": "1"}]
    assert elsewhere["response"]["status"] == 404
    assert not (tmp_path / "exchanges.har.partial").exists()
    assert parse_report(proxy.files["junit"]).getroot().tag == "testsuites"


FUTURE = "2099-01-01T00:00:00Z"
# Free variant of the reference server, what is sent (in order), the behaviour only --strict names.
FREE_POINTS = {
    "omit-optional-echoes": (
        [[{**LINK, "title": "T", "utm": {"source": "g"}}]],
        "echo-every-field",
    ),
    "lenient-urls": ([[{**LINK, "url": "HTTPS://example.com/"}]], "url-form"),
    "long-strings-accepted": ([[{**LINK, "title": "t" * 501}]], "max-lengths"),
    "utm-unknown-ignored": ([[{**LINK, "utm": {"source": "g", "other": "x"}}]], "utm-keys"),
    "rate-headers-only-on-429": ([[LINK]], "rate-headers-everywhere"),
    "past-expiry-rejected": (
        [[{**LINK, "expiresAt": FUTURE}], [{**LINK, "expiresAt": "2001-02-03T04:05:06Z"}]],
        "past-expiry",
    ),
    "unknown-properties-rejected": ([[LINK], [{**LINK, "notAHokoField": 1}]], "unknown-properties"),
}


@pytest.mark.parametrize(("free", "case"), FREE_POINTS.items(), ids=list(FREE_POINTS))
def test_free_points_are_violations_only_with_strict(
    free: str, case: tuple[list[list[dict[str, object]]], str]
) -> None:
    """A server taking a free decision passes the proxy; under --strict it is named."""
    bodies, behaviour = case
    found = {}
    with serving(build_app(ServerOptions(free=frozenset({free})))) as served:
        for mode in ((), ("--strict",)):
            with running_proxy(served.url, *mode, har=False) as proxy:
                for body in bodies:
                    post(proxy.url, body)
                found[mode] = proxy.violations()
                proxy.stop()
    assert found[()]["total"] == 0, found[()]["violations"]
    strict = {v["behaviour"] for v in found[("--strict",)]["violations"]}
    assert strict == {f"strict.{behaviour}"}


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b"[" + b"9" * 10_000 + b"]", b"\xff\xfe[{}]", b'[{"url": "\\ud800"}]'],
    ids=["deep", "long-number", "not-utf-8", "lone-surrogate"],
)
def test_hostile_body_is_forwarded_and_answered_without_a_traceback(raw: bytes) -> None:
    with hoko_mock() as (_, mock, _banner), running_proxy(mock, har=False) as proxy:
        answer = httpx.post(f"{proxy.url}/api/links", content=raw, headers=HEADERS, timeout=30)
        after = post(proxy.url, [LINK])
        assert proxy.stop() == 0, proxy.stderr
    assert answer.status_code == 400
    assert after.status_code == 201
    assert "Traceback" not in proxy.stderr
    assert "not judged" not in proxy.stderr


@pytest.mark.parametrize(("fault", "violations"), [(None, 0), ("missing-qr-code", 1)])
def test_compressed_answer_is_forwarded_compressed_and_judged_decoded(
    fault: str | None, violations: int
) -> None:
    app = GZipMiddleware(build_app(ServerOptions(fault=fault)), minimum_size=10)
    with serving(app) as served, running_proxy(served.url, har=False) as proxy:
        headers = {**HEADERS, "Accept-Encoding": "gzip"}
        with httpx.Client(timeout=30, trust_env=False) as client:
            request = client.build_request(
                "POST", f"{proxy.url}/api/links", json=[LINK], headers=headers
            )
            answer = client.send(request, stream=True)
            raw = b"".join(answer.iter_raw())
        listing = proxy.violations()
        proxy.stop()
    assert answer.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw))[0]["url"] == LINK["url"]
    assert listing["total"] == violations
