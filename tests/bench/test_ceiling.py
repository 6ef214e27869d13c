"""The ceiling app, over real HTTP: 201 with a fixed body for JSON, 400 for anything else."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

import openapi
from bench.payloads import batch_body, one_link_body
from bench.servers import running
from bench.targets import ceiling_command

pytestmark = pytest.mark.slow


def test_ceiling_answers_201_with_the_documented_example(tmp_path: Path) -> None:
    with running(ceiling_command(), tmp_path) as server:
        url = server.base_url + openapi.LINKS_PATH
        small = httpx.post(url, content=one_link_body(), timeout=30)
        large = httpx.post(url, content=batch_body(2_000), timeout=30)
    expected = openapi.response_examples(201)["documentedWithMetadata"]
    assert small.status_code == 201, small.text
    assert small.json() == expected
    assert large.status_code == 201
    assert server.process.poll() is not None, "the ceiling must be ended when the block exits"


def test_ceiling_parses_the_body(tmp_path: Path) -> None:
    with running(ceiling_command(), tmp_path) as server:
        answer = httpx.post(server.base_url + openapi.LINKS_PATH, content=b"[{", timeout=30)
    en, ar = openapi.error_texts(400)
    assert answer.status_code == 400
    assert orjson.loads(answer.content) == {"error": {"en": en, "ar": ar}}
