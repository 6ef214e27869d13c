"""The HTTP parser answers like h11 would: any method token reaches the app, big heads get 400."""

from __future__ import annotations

import socket

import httpx

from mock_server.protocol import MAX_HEAD_BYTES
from tests.mock_server.conftest import FULL, LiveMock, link


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
    host, port = mock.base_url.removeprefix("http://").split(":")
    request = (
        f"POST /api/links HTTP/1.1\r\nHost: {host}\r\nX-Pad: {'a' * MAX_HEAD_BYTES}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
