"""Reading the request body in chunks, refusing one over the size cap before it is held whole."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive

import openapi
from mock_server.errors import Issue, RejectedRequestError

# Room per link for the indentation and spacing of pretty-printed JSON.
WHITESPACE_PER_LINK: Final = 512


def _max_length(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    for part in schema.get("allOf", []):
        found = _max_length(part)
        if found is not None:
            return found
    return None


def _maximal_value(schema: dict[str, Any]) -> Any:
    kinds = {part.get("type") for part in [schema, *schema.get("allOf", [])]}
    if "boolean" in kinds:
        return True
    if "object" in kinds:
        merged = {
            k: v
            for part in [schema, *schema.get("allOf", [])]
            for k, v in part.get("properties", {}).items()
        }
        if merged:
            return {name: _maximal_value(sub) for name, sub in merged.items()}
        # A map such as geo: one entry of the longest value stands for a typical maximal one.
        values = next(
            p["additionalProperties"]
            for p in [schema, *schema.get("allOf", [])]
            if "additionalProperties" in p
        )
        return {"SA": _maximal_value(values)}
    return "x" * (_max_length(schema) or 64)


def maximal_link_bytes() -> int:
    """Return the JSON size of a link with every field at its maxLength (geo: one entry)."""
    fields = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
    link = {name: _maximal_value(schema) for name, schema in fields.items()}
    return len(orjson.dumps(link))


def default_body_cap() -> int:
    """Return the byte cap that fits the spec's largest batch of maximal links."""
    max_items = int(openapi.request_schema()["maxItems"])
    return max_items * (maximal_link_bytes() + WHITESPACE_PER_LINK)


def _too_large(cap: int, received: str) -> RejectedRequestError:
    message = f"the body is {received}; the limit is {cap} bytes"
    return RejectedRequestError(400, (Issue("$", "bodySize", message),))


async def read_capped(receive: Receive, content_length: str, cap: int) -> bytes:
    """Return the whole body, or reject it with 400 as soon as it passes ``cap`` bytes."""
    if content_length.isdigit() and int(content_length) > cap:
        raise _too_large(cap, f"{int(content_length)} bytes (Content-Length)")
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > cap:
            raise _too_large(cap, f"over {cap} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
