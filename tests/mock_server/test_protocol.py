"""The HTTP parser answers like h11 would: any method token reaches the app, big heads get 400."""

from __future__ import annotations

import asyncio
import socket
import tomllib
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn

import openapi
from mock_server.protocol import (
    MAX_HEAD_BYTES,
    UPSTREAM_SOURCES,
    CoalescingTransport,
    upstream_changes,
)
from tests.mock_server.conftest import FULL, LiveMock, link

ROOT = Path(__file__).resolve().parents[2]


def raw_answer(mock: LiveMock, request: bytes) -> bytes:
    """Send raw request bytes and return everything the mock answers until it closes."""
    host, port = mock.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_an_unknown_method_after_a_request_on_the_same_connection_gets_405(
    client: httpx.Client,
) -> None:
    assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
    refused = client.request("PURGEX", "/api/links", headers=FULL)
    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == "POST"
    assert refused.json()["error"]["en"]
    assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201


def test_a_head_just_under_the_limit_is_served(client: httpx.Client) -> None:
    padding = "a" * (MAX_HEAD_BYTES - 2_000)
    response = client.post("/api/links", headers={**FULL, "X-Pad": padding}, json=[link()])
    assert response.status_code == 201, response.text


def test_a_head_over_the_limit_gets_400_and_the_connection_closes(mock: LiveMock) -> None:
    host = mock.base_url.removeprefix("http://").split(":")[0]
    request = (
        f"POST /api/links HTTP/1.1\r\nHost: {host}\r\nX-Pad: {'a' * MAX_HEAD_BYTES}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    answer = raw_answer(mock, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    assert b"connection: close" in head.lower()
    en, ar = openapi.error_texts(400)
    assert orjson.loads(body)["error"] == {"en": en, "ar": ar}


def test_a_request_no_parser_reads_gets_the_documented_400(mock: LiveMock) -> None:
    answer = raw_answer(mock, b"POST /api/links HTTP/1.1\r\nHost\x00: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert orjson.loads(body)["error"]["en"] == openapi.error_texts(400)[0]


def test_a_long_target_counts_toward_the_head_limit(mock: LiveMock) -> None:
    host = mock.base_url.removeprefix("http://").split(":")[0]
    request = (
        f"GET /__mock/health?pad={'a' * MAX_HEAD_BYTES} HTTP/1.1\r\nHost: {host}\r\n\r\n"
    ).encode()
    answer = raw_answer(mock, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_the_uvicorn_code_the_protocol_relies_on_is_unchanged() -> None:
    changed = upstream_changes()
    assert changed == [], (
        f"uvicorn {uvicorn.__version__} changed {changed}: re-read them against "
        "mock_server/protocol.py, then update UPSTREAM_SOURCES and the uvicorn pin"
    )


def test_the_fingerprint_notices_a_changed_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(UPSTREAM_SOURCES, "H11Protocol.data_received", "0" * 16)
    assert upstream_changes() == ["H11Protocol.data_received"]


def test_uvicorn_is_pinned_to_the_minor_release_read() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["optional-dependencies"]["mock"] if "uvicorn" in d]
    major, minor = uvicorn.__version__.split(".")[:2]
    assert pins == [f"uvicorn>={major}.{minor},<{major}.{int(minor) + 1}"]


class RecordingTransport:
    """The calls a coalescing transport makes to the connection under it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 1) if name == "peername" else default


def coalesced(steps: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Run write/close/abort/turn steps through a CoalescingTransport; return what reached below."""

    async def run() -> list[tuple[str, bytes]]:
        below = RecordingTransport()
        transport = CoalescingTransport(below, asyncio.get_running_loop())  # type: ignore[arg-type]
        for action, data in steps:
            if action == "turn":
                await asyncio.sleep(0)
            elif action == "write":
                transport.write(data)
            elif action == "writelines":
                transport.writelines([data[:1], data[1:]])
            else:
                getattr(transport, action)()
        await asyncio.sleep(0)
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
        return below.calls

    return asyncio.run(run())


def test_writes_in_one_turn_of_the_loop_leave_in_one_write() -> None:
    steps = [("write", b"head"), ("write", b"body"), ("turn", b""), ("write", b"next")]
    assert coalesced(steps) == [("write", b"headbody"), ("write", b"next")]
    # writelines is queued like write, never sent ahead of what was queued before it.
    assert coalesced([("write", b"a"), ("writelines", b"bc")]) == [("write", b"abc")]


def test_close_sends_what_is_queued_first_and_abort_drops_it() -> None:
    assert coalesced([("write", b"a"), ("write", b"b"), ("close", b"")]) == [
        ("write", b"ab"),
        ("close", b""),
    ]
    assert coalesced([("write", b"a"), ("abort", b"")]) == [("abort", b"")]


def test_nothing_is_written_to_a_connection_already_closing() -> None:
    assert coalesced([("close", b""), ("write", b"late")]) == [("close", b"")]


def test_a_keep_alive_connection_gets_each_answer_whole(mock: LiveMock) -> None:
    host, port = mock.base_url.removeprefix("http://").split(":")
    body = orjson.dumps([link()])
    request = (
        f"POST /api/links HTTP/1.1\r\nHost: {host}\r\nAuthorization: {FULL['Authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        for _ in range(3):
            connection.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += connection.recv(65536)
            head, _, rest = answer.partition(b"\r\n\r\n")
            length = int(next(
                line.split(b":")[1] for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ))  # fmt: skip
            while len(rest) < length:
                rest += connection.recv(65536)
            assert head.startswith(b"HTTP/1.1 201 ")
            assert len(orjson.loads(rest)) == 1
