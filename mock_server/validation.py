"""The body's first gate: JSON parsing, then the spec's own request schema, compiled once."""

from __future__ import annotations

from typing import Any, Final

import jsonschema_rs
import orjson

import openapi
from mock_server.errors import Issue, RejectedRequestError, json_path

MAX_ISSUES: Final = 10
MAX_MESSAGE: Final = 300
JSON_MEDIA_TYPES: Final = ("application/json",)


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def parse_json(raw: bytes) -> Any:
    """Parse the body as UTF-8 JSON, or reject it with a 400 saying why."""
    if not raw or raw.isspace():
        raise RejectedRequestError(
            400, (Issue("$", "json", "the body is empty: send a JSON array of links"),)
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise RejectedRequestError(
            400, (Issue("$", "json", _short(f"not JSON: {error}")),)
        ) from None


def check_content_type(content_type: str | None) -> None:
    """Reject a body declared as something other than JSON."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in JSON_MEDIA_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    shown = repr(content_type) if content_type else "missing"
    message = f"Content-Type is {shown}: send the body as application/json"
    raise RejectedRequestError(400, (Issue("$", "contentType", message),))


class RequestSchema:
    """The spec's request-body schema, compiled once, turning failures into 400 issues."""

    def __init__(self) -> None:
        self._validator = jsonschema_rs.validator_for(
            openapi.request_schema(), validate_formats=True
        )

    def check(self, body: Any) -> None:
        """Reject ``body`` with a 400 naming what is wrong unless the schema accepts it."""
        if self._validator.is_valid(body):
            return
        issues: list[Issue] = []
        for error in self._validator.iter_errors(body):
            issues.append(_issue(error))
            if len(issues) == MAX_ISSUES:
                break
        raise RejectedRequestError(400, tuple(issues))


def _issue(error: jsonschema_rs.ValidationError) -> Issue:
    parts: list[str | int] = list(error.instance_path)
    rule = str(error.schema_path[-1]) if error.schema_path else "schema"
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        parts.append(str(kind.property))
    message = error.message
    if rule == "pattern":
        # The message would repeat the whole regex; the spec holds it.
        message = (
            f"{_short(repr(error.instance))} does not match the pattern the spec gives this field"
        )
    return Issue(json_path(*parts), rule, _short(message))
