"""The documentation's curl and fetch examples, run verbatim, get their documented answers."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

import openapi
from tests.mock_server.conftest import LiveMock, serve

pytestmark = pytest.mark.slow

# The documentation's examples, character for character, with its placeholders.
CURL_201 = """curl -X POST "https://hoko.to/api/links" \\
  -H "Authorization: Bearer <API_KEY>" \\
  -H "Content-Type: application/json" \\
  -d '[
    {
      "url": "https://example.com",
      "collectionId": "550e8400-e29b-41d4-a716-446655440000",
      "expiresAt": "2026-12-31T23:59:00Z",
      "expiredUrl": "https://example.com/expired",
      "password": "launch",
      "cloaked": true,
      "ios": "https://example.com/ios",
      "android": "https://example.com/android",
      "geo": {
        "SA": "https://example.com/sa"
      }
    }
  ]'"""
CURL_400 = """curl -X POST "https://hoko.to/api/links" \\
  -H "Authorization: Bearer <API_KEY>" \\
  -H "Content-Type: application/json" \\
  -d '[
    {
      "url": "invalid-url"
    }
  ]'"""
CURL_401 = """curl -X POST "https://hoko.to/api/links" \\
  -H "Authorization: Bearer invalid_key\""""
CURL_NO_BODY = """curl -X POST "https://hoko.to/api/links" \\
  -H "Authorization: Bearer <API_KEY>\""""
CURL_METADATA = """curl -X POST "https://hoko.to/api/links" \\
  -H "Authorization: Bearer <API_KEY>" \\
  -H "Content-Type: application/json" \\
  -d '[
    {
      "url": "https://example.com",
      "title": "Example Link",
      "description": "An example link",
      "collectionId": "550e8400-e29b-41d4-a716-446655440000",
      "utm": {
        "source": "google",
        "medium": "cpc",
        "campaign": "summer"
      }
    }
  ]'"""

FETCH_201 = """const response = await fetch('https://hoko.to/api/links', {
	method: 'POST',
	headers: {
		Authorization: 'Bearer <API_KEY>',
		'Content-Type': 'application/json'
	},
	body: JSON.stringify([
		{
			url: 'https://example.com',
			collectionId: '550e8400-e29b-41d4-a716-446655440000',
			expiresAt: '2026-12-31T23:59:00Z',
			expiredUrl: 'https://example.com/expired',
			password: 'launch',
			cloaked: true,
			ios: 'https://example.com/ios',
			android: 'https://example.com/android',
			geo: {
				SA: 'https://example.com/sa'
			}
		}
	])
});
const links = await response.json();"""
FETCH_400 = """const response = await fetch('https://hoko.to/api/links', {
	method: 'POST',
	headers: {
		Authorization: 'Bearer <API_KEY>',
		'Content-Type': 'application/json'
	},
	body: JSON.stringify([
		{
			url: 'invalid-url'
		}
	])
});"""
FETCH_401 = """const response = await fetch('https://hoko.to/api/links', {
	method: 'POST',
	headers: {
		Authorization: 'Bearer invalid_key'
	}
});"""
FETCH_NO_BODY = """const response = await fetch('https://hoko.to/api/links', {
	method: 'POST',
	headers: {
		Authorization: 'Bearer <API_KEY>'
	}
});"""
FETCH_METADATA = """const response = await fetch('https://hoko.to/api/links', {
	method: 'POST',
	headers: {
		Authorization: 'Bearer <API_KEY>',
		'Content-Type': 'application/json'
	},
	body: JSON.stringify([
		{
			url: 'https://example.com',
			title: 'Example Link',
			description: 'An example link',
			collectionId: '550e8400-e29b-41d4-a716-446655440000',
			utm: {
				source: 'google',
				medium: 'cpc',
				campaign: 'summer'
			}
		}
	])
});
const links = await response.json();"""

# (name, curl, fetch, key, status, documented response example)
EXAMPLES = [
    ("201 plan features", CURL_201, FETCH_201, "hoko_test_full", 201, "documentedWithPlanFeatures"),
    ("400", CURL_400, FETCH_400, "hoko_test_full", 400, "invalidRequest"),
    ("401", CURL_401, FETCH_401, "hoko_test_full", 401, "invalidApiKey"),
    ("403", CURL_NO_BODY, FETCH_NO_BODY, "hoko_test_noscope", 403, "missingScopes"),
    ("metadata", CURL_METADATA, FETCH_METADATA, "hoko_test_full", 201, "documentedWithMetadata"),
]
GENERATED = {"id", "shortUrl", "qrCode", "createdAt"}


@pytest.fixture(scope="module")
def doc_mock() -> Iterator[LiveMock]:
    """A mock with the defaults and a 3-request window, so the 429 example is reachable."""
    with serve(**{"rate-limit": 3, "rate-window": 3600}) as live:
        yield live


def run_curl(example: str, base_url: str, key: str) -> tuple[int, Any]:
    """Run a documented curl line with the mock's URL and a dev key; return status and JSON."""
    command = (
        example.replace("\\\n", " ").replace("https://hoko.to", base_url).replace("<API_KEY>", key)
    )
    argv = shlex.split(command)
    assert shutil.which("curl"), "curl is needed to run the documentation's curl examples"
    argv[1:1] = ["-s", "-w", "\n%{http_code}"]
    output = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    body, _, status = output.rpartition("\n")
    return int(status), json.loads(body)


def run_fetch(example: str, base_url: str, key: str) -> tuple[int, Any]:
    """Run a documented fetch snippet in Node with the mock's URL and a dev key."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the fetch examples need it")
    snippet = example.replace("https://hoko.to", base_url).replace("<API_KEY>", key)
    script = f"(async () => {{ {snippet}\nconsole.log(JSON.stringify([response.status, "
    script += "typeof links === 'undefined' ? await response.json() : links])); })();"
    output = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    status, body = json.loads(output.stdout)
    return int(status), body


def assert_documented(
    status: int, body: Any, expected_status: int, example_name: str, how: str
) -> None:
    """Check the answer against the documented status, schema and example."""
    documented = openapi.response_examples(expected_status)[example_name]
    assert status == expected_status, f"{how}: got {status} {body}, documented {expected_status}"
    schema = jsonschema_rs.validator_for(
        openapi.response_schema(expected_status), validate_formats=True
    )
    assert schema.is_valid(body), f"{how}: {body} does not match the {expected_status} schema"
    if expected_status == 201:
        # The documented answer may leave out a sent field (decision 5); the fields it shows match.
        assert len(body) == len(documented), how
        for ours, theirs in zip(body, documented, strict=True):
            shown = {k: v for k, v in theirs.items() if k not in GENERATED}
            assert {k: ours.get(k) for k in shown} == shown, how
    else:
        assert {k: v for k, v in body.items() if k != "issues"} == documented, how


@pytest.mark.parametrize(("name", "curl_line", "fetch", "key", "status", "example"), EXAMPLES)
@pytest.mark.parametrize("client", ["curl", "fetch"])
def test_documented_example_gets_its_documented_answer(
    doc_mock: LiveMock,
    client: str,
    name: str,
    curl_line: str,
    fetch: str,
    key: str,
    status: int,
    example: str,
) -> None:
    doc_mock.reset()
    if client == "curl":
        got_status, body = run_curl(curl_line, doc_mock.base_url, key)
    else:
        got_status, body = run_fetch(fetch, doc_mock.base_url, key)
    assert_documented(got_status, body, status, example, f"{client} example {name!r}")


@pytest.mark.parametrize("client", ["curl", "fetch"])
def test_documented_429_example_after_the_limit_is_used_up(doc_mock: LiveMock, client: str) -> None:
    doc_mock.reset()
    runner = run_curl if client == "curl" else run_fetch
    example = CURL_NO_BODY if client == "curl" else FETCH_NO_BODY
    statuses = [runner(example, doc_mock.base_url, "hoko_test_full")[0] for _ in range(3)]
    assert statuses == [400, 400, 400]  # within the limit the missing body is the fault
    status, body = runner(example, doc_mock.base_url, "hoko_test_full")
    assert status == 429, f"{client}: the 4th request of a 3-request window got {status}"
    documented = openapi.response_examples(429)["rateLimitExceeded"]
    assert body["error"] == documented["error"]
    assert isinstance(body["retryAfter"], int)
    assert 0 < body["retryAfter"] <= 3600
