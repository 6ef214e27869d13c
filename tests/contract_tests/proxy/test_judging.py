"""Through the proxy, a conforming server gets no violation and each broken rule is named."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract_commands import hoko_contract, parse_report
from contract_reference import COLLECTION, NO_SCOPE_KEY, OTHER_COLLECTION, ServerOptions, build_app
from contract_running import settings_for
from contract_serving import serving
from proxy_running import running_proxy
from test_broken_servers import FAULTS

from contract_tests import runner
from tests.mock_server.conftest import hoko_mock
from tests.mock_server.test_documentation import (
    CURL_NO_BODY,
    EXAMPLES,
    FETCH_NO_BODY,
    assert_documented,
    run_fetch,
)

pytestmark = pytest.mark.slow
KNOWLEDGE = (
    "--max-batch", "20", "--collection-id", COLLECTION, "--collection-id", OTHER_COLLECTION,
    "--no-scope-key", NO_SCOPE_KEY,
)  # fmt: skip
VIOLATIONS = "hoko-contract-violations"


@pytest.fixture
def mock_for_the_suite() -> Iterator[str]:
    """``hoko-mock`` as the suite's own test runs it: a 429 within reach of the probe."""
    with hoko_mock("--rate-limit", "600", "--rate-window", "120") as (_, url, _banner):
        yield url


def test_full_suite_run_through_the_proxy_sees_no_violation(
    mock_for_the_suite: str, tmp_path: Path
) -> None:
    """hoko-contract through the proxy: it passes, and the proxy judged its traffic clean."""
    options = ("--collection-id", COLLECTION)
    with running_proxy(mock_for_the_suite, *options, folder=tmp_path) as proxy:
        result = hoko_contract(
            "--base-url", proxy.url, "--api-key", "hoko_test_full",
            "--no-scope-key", "hoko_test_noscope", "--collection-id", COLLECTION,
            "--seed", "4", "--max-examples", "10", "--max-time", "150", "--quiet",
            timeout=200,
        )  # fmt: skip
        listing = proxy.violations()
        assert proxy.stop() == 0, proxy.stderr[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS rate-limit.429" in result.stdout
    assert listing["total"] == 0, listing["violations"][:3]
    entries = proxy.har()["log"]["entries"]
    judged = [e for e in entries if e["request"]["url"].endswith("/api/links")]
    assert len(judged) > 600
    assert not any(h["name"] == VIOLATIONS for e in entries for h in e["response"]["headers"])
    sizes = [e["request"]["bodySize"] for e in judged]
    assert max(sizes) > 1_000_000  # the 10,000- and 10,001-link batches went through
    cases = {case.get("name"): case for case in parse_report(proxy.files["junit"]).iter("testcase")}
    assert not any(case.find("failure") is not None for case in cases.values())
    assert cases["create.response-body"].find("skipped") is None
    assert cases["rate-limit.429"].find("skipped") is None
    assert proxy.stdout.strip().splitlines()[-1].endswith(" 0 violations")


# Node's fetch, wrapped so the snippet runs verbatim while the raw answer is written to a file.
FETCH_PRELUDE = """const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const answer = await realFetch(...args);
  require('fs').writeFileSync(RAW_PATH, Buffer.from(await answer.clone().arrayBuffer()));
  return answer;
};
"""


def curl_raw(example: str, base_url: str, key: str, scratch: Path) -> tuple[int, bytes]:
    """Run a documented curl line against ``base_url``; return the status and the body bytes."""
    command = example.replace("\\\n", " ").replace("https://hoko.to", base_url)
    argv = shlex.split(command.replace("<API_KEY>", key))
    body = scratch / "body"
    argv[1:1] = ["-s", "-o", str(body), "-w", "%{http_code}"]
    status = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    return int(status), body.read_bytes()


def fetch_raw(example: str, base_url: str, key: str, scratch: Path) -> tuple[int, bytes]:
    """Run a documented fetch snippet in Node; return the status and the body bytes."""
    raw = scratch / "raw"
    prelude = FETCH_PRELUDE.replace("RAW_PATH", json.dumps(str(raw)))
    status, _ = run_fetch(prelude + example, base_url, key)
    return status, raw.read_bytes()


def test_documentation_examples_through_the_proxy(tmp_path: Path) -> None:
    """The 12 curl and fetch examples: documented answers, byte-identical, no violation."""
    assert shutil.which("curl"), "curl is needed to run the documentation's curl examples"
    runs: list[tuple[str, int, bytes, int, str]] = []
    with (
        hoko_mock("--rate-limit", "3", "--rate-window", "3600") as (_, mock, _banner),
        running_proxy(mock, folder=tmp_path) as proxy,
    ):

        def run(client: str, example: str, key: str) -> tuple[int, bytes]:
            if client == "curl":
                return curl_raw(example, proxy.url, key, tmp_path)
            return fetch_raw(example, proxy.url, key, tmp_path)

        for client in ("curl", "fetch"):
            for name, curl_line, fetch, key, status, documented in EXAMPLES:
                httpx.post(f"{mock}/__mock/reset", timeout=10).raise_for_status()
                got, body = run(client, curl_line if client == "curl" else fetch, key)
                runs.append((f"{client} {name}", got, body, status, documented))
            httpx.post(f"{mock}/__mock/reset", timeout=10).raise_for_status()
            example = CURL_NO_BODY if client == "curl" else FETCH_NO_BODY
            for attempt in range(4):
                got, body = run(client, example, "hoko_test_full")
                expected = 429 if attempt == 3 else 400
                runs.append((f"{client} 429 ({attempt})", got, body, expected, ""))
        listing = proxy.violations()
        assert proxy.stop() == 0, proxy.stderr
    assert listing["total"] == 0, listing["violations"]
    entries = proxy.har()["log"]["entries"]
    assert len(entries) == len(runs) == 2 * (len(EXAMPLES) + 4)
    for (how, got, body, expected, documented), entry in zip(runs, entries, strict=True):
        assert got == expected, how
        if documented:
            assert_documented(got, json.loads(body), expected, documented, how)
        assert entry["response"]["status"] == got, how
        assert entry["response"]["content"]["text"].encode("utf-8") == body, how


@pytest.mark.finds_bug
@pytest.mark.parametrize(("fault", "behaviours"), FAULTS.items(), ids=list(FAULTS))
def test_proxy_names_the_broken_rule(fault: str, behaviours: tuple[str, ...]) -> None:
    """The suite's traffic to a broken server, through the proxy: the fault's behaviour is named."""
    with (
        serving(build_app(ServerOptions(fault=fault))) as served,
        running_proxy(served.url, *KNOWLEDGE, "--quiet", har=False) as proxy,
    ):
        runner.run(settings_for(proxy.url))
        listing = proxy.violations()
        assert proxy.stop() == 1
    found = [v for v in listing["violations"] if v["behaviour"] in behaviours]
    assert found, (fault, sorted({v["behaviour"] for v in listing["violations"]}))
    violation = found[0]
    assert violation["documented"]
    assert violation["reproduce"].startswith("curl -X POST")
    assert "hoko_test_full" not in json.dumps(listing)  # keys masked everywhere


def rich_batch(size: int) -> list[dict[str, Any]]:
    """Return ``size`` links with every field, over 10 MB in all."""
    return [
        {
            "url": f"https://example.com/rich/{index}?q=" + "x" * 600,
            "collectionId": COLLECTION,
            "title": "Title " * 40,
            "description": "Description " * 40,
            "utm": {"source": "newsletter", "campaign": "launch-" + "y" * 100},
            "geo": {"SA": "https://example.com/sa", "AE": "https://example.com/ae"},
            "externalId": f"rich-{index}",
            "tenantId": "tenant-1",
        }
        for index in range(size)
    ]


def test_ten_thousand_link_batch_passes_through_unchanged(tmp_path: Path) -> None:
    """A rich 10,000-link batch (well over 10 MB) is created through the proxy, judged clean."""
    with hoko_mock() as (_, mock, _banner), running_proxy(mock, folder=tmp_path) as proxy:
        body = json.dumps(rich_batch(10_000)).encode()
        assert len(body) > 10 * 1024 * 1024
        headers = {"Authorization": "Bearer hoko_test_full", "Content-Type": "application/json"}
        answer = httpx.post(f"{proxy.url}/api/links", content=body, headers=headers, timeout=120)
        stored = httpx.get(f"{mock}/__mock/links", timeout=60).json()
        assert proxy.stop() == 0, proxy.stderr[-2000:]
    assert answer.status_code == 201, answer.text[:500]
    assert VIOLATIONS not in answer.headers
    assert len(answer.json()) == 10_000
    assert stored["count"] == 10_000
    (entry,) = proxy.har()["log"]["entries"]
    assert entry["request"]["postData"]["text"].encode() == body
    assert entry["response"]["content"]["text"].encode() == answer.content
