"""Transport faults over real sockets: a reset, a hang-up, a dribbled body, no answer at all."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server import config as config_module
from mock_server.errors import ConfigError
from mock_server.faults import FAULTS
from tests.mock_server.conftest import FULL, LiveMock, link, serve


@pytest.fixture(scope="module")
def faulty() -> Iterator[LiveMock]:
    """A mock of its own, so its journal and link count are this module's."""
    with serve(**{"rate-limit": 1_000_000}) as live:
        yield live


def raw_request(mock: LiveMock, prefer: str, path: str = "/api/links") -> socket.socket:
    """Send ``Prefer: prefer`` on a raw socket (a one-link POST to the API) and return it."""
    host, port = mock.base_url.removeprefix("http://").split(":")
    body = json.dumps([link()]).encode() if path == "/api/links" else b""
    head = (
        f"{'POST' if body else 'GET'} {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer hoko_test_full\r\nContent-Type: application/json\r\n"
        f"Prefer: {prefer}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(head + body)
    return sock


def journalled_fault(mock: LiveMock, path: str = "/api/links") -> Any:
    """Return the fault of the newest journal entry for ``path``, waiting for it to be written."""
    deadline = time.monotonic() + 20
    while True:
        with mock.client() as http:
            entries = http.get("/__mock/journal", params={"limit": 5}).json()["entries"]
        found = [entry for entry in entries if entry["path"] == path]
        if found and "fault" in found[-1]:
            return found[-1]
        assert time.monotonic() < deadline, f"no fault journalled for {path}: {entries}"
        time.sleep(0.05)


def test_reset_is_a_tcp_reset_and_creates_nothing(faulty: LiveMock) -> None:
    before = faulty.count()
    with raw_request(faulty, "fault=reset") as sock, pytest.raises(ConnectionResetError):
        sock.recv(65536)
    assert faulty.count() == before
    entry = journalled_fault(faulty)
    assert entry["fault"] == "reset"
    assert entry["status"] == 0


def test_close_hangs_up_without_a_byte(faulty: LiveMock) -> None:
    before = faulty.count()
    with raw_request(faulty, "fault=close") as sock:
        assert sock.recv(65536) == b""
    assert faulty.count() == before
    assert journalled_fault(faulty)["fault"] == "close"


def test_slow_body_arrives_whole_in_pieces(faulty: LiveMock) -> None:
    pieces: list[bytes] = []
    with (
        faulty.client() as http,
        http.stream(
            "POST", "/api/links", headers={**FULL, "Prefer": "fault=slow-body"}, json=[link()]
        ) as answer,
    ):
        assert answer.status_code == 201
        pieces.extend(answer.iter_raw())
    assert len(pieces) > 1
    created = json.loads(b"".join(pieces))
    assert created[0]["url"] == "https://example.com"
    assert journalled_fault(faulty)["fault"] == "slow-body"


def test_timeout_never_answers(faulty: LiveMock) -> None:
    with (
        httpx.Client(base_url=faulty.base_url, timeout=1) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get("/qrcode", params={"text": "x"}, headers={"Prefer": "fault=timeout"})
    entry = journalled_fault(faulty, "/qrcode")
    assert entry["fault"] == "timeout"
    assert entry["status"] == 0


def test_faults_reach_short_links_and_the_reference(faulty: LiveMock) -> None:
    for path in ["/docs", "/NoSuchLink", "/openapi.json"]:
        with raw_request(faulty, "fault=close", path) as sock:
            assert sock.recv(65536) == b""
        assert journalled_fault(faulty, path)["fault"] == "close"


def test_an_unknown_fault_is_a_400_listing_the_known(faulty: LiveMock) -> None:
    with faulty.client() as http:
        answer = http.post("/api/links", headers={**FULL, "Prefer": "fault=explode"}, json=[link()])
    assert answer.status_code == 400
    body = answer.json()
    assert body["issues"][0]["path"] == "Prefer"
    assert "explode" in body["issues"][0]["message"]
    assert body["faults"] == list(FAULTS)


def outcomes(mock: LiveMock, count: int) -> list[str]:
    """Send ``count`` one-link POSTs with a short timeout; return each one's status or error."""
    seen: list[str] = []
    with httpx.Client(base_url=mock.base_url, timeout=3) as http:
        for _ in range(count):
            try:
                answer = http.post("/api/links", headers=FULL, json=[link()])
                seen.append(str(answer.status_code))
            except httpx.TransportError as error:
                seen.append(type(error).__name__)
    return seen


def test_random_faults_repeat_with_the_seed_and_add_no_status() -> None:
    runs = []
    for _ in range(2):
        with serve(**{"rate-limit": 1_000_000, "fault-rate": 0.5, "fault-seed": 7}) as live:
            seen = outcomes(live, 10)
            with live.client() as http:
                entries = http.get("/__mock/journal").json()["entries"]
            runs.append(([entry.get("fault") for entry in entries], seen))
    (faults, seen), (faults_again, seen_again) = runs
    assert faults == faults_again
    assert {fault for fault in faults if fault} <= set(FAULTS)
    assert any(faults)
    assert None in faults
    # Only the rules answer with a status: every answered request here was a 201.
    assert {outcome for outcome in seen if outcome.isdigit()} == {"201"}
    assert seen.count("201") == seen_again.count("201")


def test_control_endpoints_get_no_random_fault() -> None:
    with serve(**{"fault-rate": 1, "fault-seed": 1}) as live, live.client() as http:
        for _ in range(5):
            assert http.get("/__mock/health").status_code == 200


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"fault-rate": 1.5}, "fault-rate"),
        ({"fault-rate": "often"}, "fault-rate"),
        ({"fault-seed": -1}, "fault-seed"),
        ({"fault-seed": 1.5}, "fault-seed"),
        ({"default-country": "Saudi"}, "default-country"),
        ({"country-headers": "Bad Header"}, "country-headers"),
        ({"country-headers": []}, "country-headers"),
    ],
)
def test_bad_fault_and_country_settings_name_their_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_module.build(("test", options))
    assert raised.value.key == key


def test_fault_and_country_settings_are_read_from_the_environment() -> None:
    env = {
        "HOKO_MOCK_FAULT_RATE": "0.25",
        "HOKO_MOCK_FAULT_SEED": "3",
        "HOKO_MOCK_DEFAULT_COUNTRY": "sa",
        "HOKO_MOCK_COUNTRY_HEADERS": "X-Country, CF-IPCountry",
    }
    config = config_module.build(*config_module.from_env(env))
    assert (config.fault_rate, config.fault_seed) == (0.25, 3)
    assert config.default_country == "SA"
    assert config.country_headers == ("X-Country", "CF-IPCountry")
