"""The one loader of the hoko-links-kit contract: the OpenAPI spec of ``POST /api/links``.

Everything else in the kit (``mock_server``, ``contract_tests``, the tests, the benchmarks) reads
the spec through this module and never by path, so the spec is found the same way in a source
checkout and in an installed wheel.

Exception hierarchy::

    SpecError
     +-- SpecPointerError
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any, Final

import yaml

__all__ = [
    "LINKS_METHOD",
    "LINKS_PATH",
    "STATUS_CODES",
    "SpecError",
    "SpecPointerError",
    "error_texts",
    "load_spec",
    "operation",
    "replayable_requests",
    "request_examples",
    "request_schema",
    "required_scopes",
    "response_examples",
    "response_schema",
    "schema_at",
    "spec_json",
    "spec_path",
    "spec_text",
]

SPEC_FILENAME: Final = "openapi.yaml"
LINKS_PATH: Final = "/api/links"
LINKS_METHOD: Final = "post"
STATUS_CODES: Final = (201, 400, 401, 403, 429)

JsonObject = dict[str, Any]


class SpecError(Exception):
    """Root of every error raised while loading or reading the spec."""


class SpecPointerError(SpecError, LookupError):
    """A JSON pointer names nothing in the spec."""

    def __init__(self, pointer: str, missing: str) -> None:
        self.pointer = pointer
        self.missing = missing
        super().__init__(f"{pointer!r} does not resolve in {SPEC_FILENAME}: no {missing!r}")


def spec_path() -> str:
    """Return the filesystem path of the spec file, wherever the kit is installed."""
    return str(resources.files(__name__).joinpath(SPEC_FILENAME))


@functools.cache
def spec_text() -> str:
    """Return the spec file's text exactly as written."""
    return resources.files(__name__).joinpath(SPEC_FILENAME).read_text(encoding="utf-8")


@functools.cache
def _parsed() -> JsonObject:
    document = yaml.safe_load(spec_text())
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{SPEC_FILENAME} is not an OpenAPI 3.1 document")
    return document


def load_spec() -> JsonObject:
    """Return a private copy of the parsed spec, safe to mutate."""
    return copy.deepcopy(_parsed())


@functools.cache
def spec_json() -> bytes:
    """Return the spec serialized as UTF-8 JSON, for serving as ``/openapi.json``."""
    return json.dumps(_parsed(), ensure_ascii=False, indent=2).encode("utf-8")


def _resolve(pointer: str) -> Any:
    if not pointer.startswith("#/"):
        raise SpecPointerError(pointer, pointer)
    node: Any = _parsed()
    for raw in pointer[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecPointerError(pointer, part)
    return node


def _inline(node: Any, seen: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                raise SpecError(f"circular $ref {ref!r} via {' -> '.join(seen)}")
            target = _inline(_resolve(ref), (*seen, ref))
            siblings = {k: _inline(v, seen) for k, v in node.items() if k != "$ref"}
            # A $ref with siblings is an allOf in 3.1; keeping both keeps every keyword in force.
            return {"allOf": [target], **siblings} if siblings else target
        return {k: _inline(v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, seen) for v in node]
    return node


def schema_at(pointer: str) -> JsonObject:
    """Return the schema at ``pointer`` as self-contained JSON Schema 2020-12, $refs inlined."""
    schema = _inline(_resolve(pointer), (pointer,))
    if not isinstance(schema, dict):
        raise SpecError(f"{pointer!r} is not a schema object")
    return {"$schema": _parsed()["jsonSchemaDialect"], **schema}


def operation() -> JsonObject:
    """Return a private copy of the ``POST /api/links`` operation object."""
    return copy.deepcopy(_resolve(_operation_pointer()))


def _operation_pointer() -> str:
    return f"#/paths/{LINKS_PATH.replace('/', '~1')}/{LINKS_METHOD}"


def request_schema() -> JsonObject:
    """Return the self-contained schema of the request body."""
    return schema_at(f"{_operation_pointer()}/requestBody/content/application~1json/schema")


def response_schema(status: int) -> JsonObject:
    """Return the self-contained schema of the response body for ``status``."""
    return schema_at(f"{_operation_pointer()}/responses/{status}/content/application~1json/schema")


def request_examples() -> dict[str, Any]:
    """Return the named request-body examples, name -> value."""
    examples = _resolve(f"{_operation_pointer()}/requestBody/content/application~1json/examples")
    return {name: copy.deepcopy(example["value"]) for name, example in examples.items()}


def response_examples(status: int) -> dict[str, Any]:
    """Return the named response-body examples of ``status``, name -> value."""
    pointer = f"{_operation_pointer()}/responses/{status}/content/application~1json/examples"
    return {name: copy.deepcopy(example["value"]) for name, example in _resolve(pointer).items()}


def error_texts(status: int) -> tuple[str, str]:
    """Return the documented ``(en, ar)`` error texts of an error status."""
    (example,) = response_examples(status).values()
    return example["error"]["en"], example["error"]["ar"]


def replayable_requests() -> dict[str, Any]:
    """Return the operation's ``x-request-examples``: name -> {status, authorization, body}."""
    return copy.deepcopy(_resolve(f"{_operation_pointer()}/x-request-examples"))


def required_scopes() -> list[str]:
    """Return the scopes an API key needs for ``POST /api/links``."""
    return list(_resolve(f"{_operation_pointer()}/x-required-scopes"))
