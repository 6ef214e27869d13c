"""The large POST: one valid batch of fresh links on its own connection, timed end to end."""

from __future__ import annotations

import dataclasses
import http.client
import time
import urllib.parse
from typing import Final

import orjson

import openapi
from bench import RequestError
from bench.payloads import API_KEY, batch_body, curl_line

REQUEST_TIMEOUT_SECONDS: Final = 120.0


@dataclasses.dataclass(frozen=True)
class BatchAnswer:
    """The status, body and client-side wall time of one POST."""

    status: int
    body: bytes
    seconds: float


def post(base_url: str, body: bytes, api_key: str = API_KEY) -> BatchAnswer:
    """POST ``body`` to the links path; time from the first byte sent to the last byte read."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=REQUEST_TIMEOUT_SECONDS
    )
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    try:
        connection.connect()
        started = time.perf_counter()
        connection.request("POST", openapi.LINKS_PATH, body=body, headers=headers)
        response = connection.getresponse()
        answer_body = response.read()
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return BatchAnswer(response.status, answer_body, seconds)


def post_created(target: str, base_url: str, body: bytes, echoed_links: int | None) -> float:
    """POST a batch that must get a 201 listing ``echoed_links`` links; return its seconds."""
    answer = post(base_url, body)
    url = base_url + openapi.LINKS_PATH
    if answer.status != 201:
        raise RequestError(target, url, answer.status, answer.body, curl_line(url, body))
    if echoed_links is not None:
        links = orjson.loads(answer.body)
        if not isinstance(links, list) or len(links) != echoed_links:
            count = len(links) if isinstance(links, list) else "no"
            head = f"201 with {count} links instead of {echoed_links}".encode()
            raise RequestError(target, url, answer.status, head, curl_line(url, body))
    return answer.seconds


def timed_batches(target: str, base_url: str, count: int, size: int, echoes: bool) -> list[float]:
    """POST ``count`` batches of ``size`` fresh links; return each one's seconds."""
    bodies = [batch_body(size) for _ in range(count)]
    return [post_created(target, base_url, body, size if echoes else None) for body in bodies]
