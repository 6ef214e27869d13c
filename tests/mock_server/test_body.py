"""The body size cap: a body over it gets the documented 400 without being read whole."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mock_server.body import default_body_cap, maximal_link_bytes
from tests.mock_server.conftest import DOC_COLLECTION, FULL, link, serve

CAP = 4096


def test_default_cap_fits_10000_maximal_links() -> None:
    assert maximal_link_bytes() > 2048 * 5  # five URL fields at their maxLength, at least
    assert default_body_cap() >= 10_000 * maximal_link_bytes()


def read_response(raw: socket.socket) -> str:
    """Read one HTTP response with a Content-Length from a raw socket."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += raw.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += raw.recv(65536)
    return (head + b"\r\n\r\n" + body).decode("utf-8")


def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    with serve(**{"max-body-bytes": CAP}) as live:
        host, port = live.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            # Announce 50 MB but send only the headers: the answer must come without the body.
            raw.sendall(
                b"POST /api/links HTTP/1.1\r\nHost: mock\r\n"
                b"Authorization: Bearer hoko_test_full\r\n"
                b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
            )
            answer = read_response(raw)
        assert answer.startswith("HTTP/1.1 400 ")
        assert '"rule":"bodySize"' in answer
        assert '"en":"Invalid request"' in answer


def test_chunked_body_over_the_cap_is_refused() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(1000):
            yield b'{"url": "https://example.com", "collectionId": "x"},'

    with serve(**{"max-body-bytes": CAP}) as live, live.client() as client:
        response = client.post(
            "/api/links", headers={**FULL, "Content-Type": "application/json"}, content=chunks()
        )
        assert response.status_code == 400
        assert response.json()["issues"][0]["rule"] == "bodySize"
        assert live.count() == 0


@pytest.mark.parametrize("size", [CAP - 200, CAP])
def test_body_within_the_cap_is_read(size: int) -> None:
    with serve(**{"max-body-bytes": CAP}) as live, live.client() as client:
        body = b'[{"url": "https://example.com", "collectionId": "%s"}]' % DOC_COLLECTION.encode()
        padded = body[:-1] + b" " * (size - len(body)) + b"]"
        assert len(padded) == size
        response = client.post(
            "/api/links", headers={**FULL, "Content-Type": "application/json"}, content=padded
        )
        assert response.status_code == 201, response.text
        assert client.post("/api/links", headers=FULL, json=[link()]).status_code == 201
