"""Requests as the suite sends and shows them: curl lines, masking, 429 waits."""

from __future__ import annotations

import json
import shlex
import subprocess

from contract_tests.transport import MAX_INLINE_CURL_BODY, Received, Sent, retry_delay


def test_curl_line_reproduces_the_request_and_description_masks_the_key() -> None:
    """The curl line carries the key as given; the description masks it."""
    body = json.dumps([{"title": 'it\'s "quoted" عربي'}], ensure_ascii=False).encode()
    sent = Sent("http://127.0.0.1:9/api/links", {"Authorization": "Bearer secret_key_1"}, body)
    parts = shlex.split(sent.curl())
    assert parts[:4] == ["curl", "-X", "POST", "http://127.0.0.1:9/api/links"]
    assert "Authorization: Bearer secret_key_1" in parts
    assert parts[-1].encode() == body
    assert "secret_key_1" not in sent.describe()


def test_long_bodies_go_to_a_file_in_the_curl_line() -> None:
    """A body too long for a command line is referenced as @body.json."""
    sent = Sent("http://x/api/links", {}, b"x" * (MAX_INLINE_CURL_BODY + 1))
    assert "@body.json" in sent.curl()


def test_retry_delay_prefers_the_header_then_the_body_then_the_reset() -> None:
    """Retry-After, then retryAfter, then X-RateLimit-Reset minus now; 1 s when nothing says."""
    body = json.dumps({"retryAfter": 7}).encode()
    assert retry_delay(Received(429, {"retry-after": "3"}, body)) == 3.25
    assert retry_delay(Received(429, {}, body)) == 7.25
    assert retry_delay(Received(429, {"x-ratelimit-reset": "110"}, b"{}"), now=100) == 10.25
    assert retry_delay(Received(429, {}, b"garbage")) == 1.0


def test_curl_line_of_a_body_that_is_not_utf8_is_ascii_and_exact() -> None:
    body = b"[\xa9'x\\ \n]"
    line = Sent("http://127.0.0.1:9/api/links", {"Content-Type": "application/json"}, body).curl()
    assert line.isascii()
    argument = line.split("--data-binary ", 1)[1]
    replayed = subprocess.run(
        ["bash", "-c", f"printf %s {argument}"], capture_output=True, check=True
    ).stdout
    assert replayed == body
