"""The Python generator's request bytes and response reading, chunked bodies included."""

from __future__ import annotations

import asyncio

import pytest

from bench.loadgen import Tally, build_request, read_response


def test_build_request_is_a_keep_alive_json_post() -> None:
    host, port, request = build_request("http://127.0.0.1:8123/api/links", b"[{}]", "key")
    head, _, body = request.partition(b"\r\n\r\n")
    assert (host, port, body) == ("127.0.0.1", 8123, b"[{}]")
    assert head.startswith(b"POST /api/links HTTP/1.1\r\n")
    assert b"Authorization: Bearer key" in head
    assert b"Content-Length: 4" in head


def test_build_request_refuses_https() -> None:
    with pytest.raises(ValueError, match="only http://"):
        build_request("https://127.0.0.1/api/links", b"[]", "key")


def read(raw: bytes) -> tuple[int, bool, bytes]:
    async def run() -> tuple[int, bool, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw + b"NEXT")
        reader.feed_eof()
        status, keep_alive = await read_response(reader)
        return status, keep_alive, await reader.read()

    return asyncio.run(run())


def test_read_response_consumes_exactly_one_sized_response() -> None:
    raw = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n[]"
    assert read(raw) == (201, True, b"NEXT")


def test_read_response_consumes_exactly_one_chunked_response() -> None:
    raw = (
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
    )
    assert read(raw) == (400, False, b"NEXT")


def test_tally_spends_its_budget_once() -> None:
    tally = Tally(budget=2)
    assert [tally.take(), tally.take(), tally.take()] == [True, True, False]
