"""The mock's JSON responses: the documented error bodies, rendered once, and the extra detail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import orjson
from starlette.responses import Response

import openapi
from mock_server.errors import RejectedRequestError

Headers = list[tuple[bytes, bytes]]

# Statuses the documentation does not cover still answer in its bilingual error shape.
UNDOCUMENTED_TEXTS: Final = {
    404: ("Not found", "غير موجود"),
    405: ("Method not allowed", "الطريقة غير مسموح بها"),
    500: ("Internal error", "خطأ داخلي"),
    503: ("Service unavailable", "الخدمة غير متاحة"),
}


class ErrorBodies:
    """The error body of each status, with the documented texts read from the spec."""

    def __init__(self) -> None:
        self.texts = {status: openapi.error_texts(status) for status in (400, 401, 403, 429)}
        self.texts.update(UNDOCUMENTED_TEXTS)
        self._plain = {status: orjson.dumps(self.body(status)) for status in self.texts}

    def body(self, status: int, **extra: Any) -> dict[str, Any]:
        """Return the error body of ``status`` with ``extra`` fields after the documented ones."""
        english, arabic = self.texts[status]
        body: dict[str, Any] = {"error": {"en": english, "ar": arabic}}
        if status == 403:
            body["missingScopes"] = ["linksWrite"]
        body.update(extra)
        return body

    def response(self, status: int, headers: Headers | None = None, **extra: Any) -> Response:
        """Return the JSON error response of ``status``."""
        content = orjson.dumps(self.body(status, **extra)) if extra else self._plain[status]
        return json_response(status, content, headers)

    def rejection(self, error: RejectedRequestError, headers: Headers | None = None) -> Response:
        """Return the documented response for a rejected request, with its issues if any."""
        if error.issues:
            issues = [issue.as_json() for issue in error.issues]
            return self.response(error.status, headers, issues=issues)
        return self.response(error.status, headers)


JSON_MEDIA_TYPE: Final = "application/json"


def json_response(
    status: int, content: bytes, headers: Iterable[tuple[bytes, bytes]] | None = None
) -> Response:
    """Return ``content`` (already JSON) as an application/json response, ``headers`` appended."""
    response = Response(content, status, media_type=JSON_MEDIA_TYPE)
    if headers:
        response.raw_headers.extend(headers)
    return response


def json_body(value: Any, status: int = 200) -> Response:
    """Serialize ``value`` as a JSON response."""
    return json_response(status, orjson.dumps(value))
