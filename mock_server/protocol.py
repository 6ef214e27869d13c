"""HTTP/1.1 parsing: uvicorn's fast httptools parser, with h11's limits and its method tolerance."""

from __future__ import annotations

from typing import Final

import httptools
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

import openapi
from mock_server.errors import MockError

PROTOCOL_PATH: Final = "mock_server.protocol:HttpProtocol"
"""What ``uvicorn.Config(http=...)`` takes to serve the mock with this protocol."""

MAX_HEAD_BYTES: Final = 16 * 1024  # h11's default limit on an incomplete request head


REFUSED: Final = "Invalid HTTP request received."


def _refusal() -> bytes:
    """Return the whole 400 answer to a request HTTP cannot parse, in the documented shape."""
    en, ar = openapi.error_texts(400)
    issue = {"path": "$", "rule": "http", "message": f"{REFUSED} (malformed, or head over 16 KiB)"}
    body = orjson.dumps({"error": {"en": en, "ar": ar}, "issues": [issue]})
    head = (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    return head + body


REFUSAL: Final = _refusal()


class JsonH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, refusing a request it cannot parse with the documented JSON 400."""

    def send_400_response(self, msg: str) -> None:
        """Write the documented 400 and close, instead of h11's plain text."""
        self.transport.write(REFUSAL)
        self.transport.close()


class HeadTooLargeError(MockError):
    """The request line and headers together pass the size h11 would accept."""


class HttpProtocol(HttpToolsProtocol):
    """httptools speed, answering what h11 answers: 400 past 16 KiB of head, any method token."""

    # httptools has no head limit and knows only registered methods; h11 caps the head and
    # accepts any token, so the app answers an unknown method with its own 405.
    head_bytes = 0
    completed = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the header toward the head's size; past the limit the request gets a 400."""
        # A request's first header starts the count with its target, read whole by then.
        counted = self.head_bytes if self.headers else len(self.url)
        self.head_bytes = counted + len(name) + len(value) + 4
        if self.head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLargeError
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        """Note that a request was read whole, so later bytes start a new one."""
        self.completed += 1
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        """Parse with httptools as uvicorn does; a method it does not know moves to h11."""
        self._unset_keepalive_if_required()
        completed_before = self.completed
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            idle = self.cycle is None or self.cycle.response_complete
            if idle and not self.pipeline and self.completed == completed_before:
                self._switch_to_h11(data)
            else:
                self._refuse()
        except httptools.HttpParserError:
            self._refuse()
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _refuse(self) -> None:
        self.logger.warning(REFUSED)
        self.send_400_response(REFUSED)

    def send_400_response(self, msg: str) -> None:
        """Write the documented 400 and close, instead of httptools' plain text."""
        self.transport.write(REFUSAL)
        self.transport.close()

    def _switch_to_h11(self, data: bytes) -> None:
        # ``data`` starts at the refused request: nothing before it is pending on this connection.
        self.connections.discard(self)
        h11_protocol = JsonH11Protocol(self.config, self.server_state, self.app_state, self.loop)
        self.transport.set_protocol(h11_protocol)
        h11_protocol.connection_made(self.transport)
        h11_protocol.data_received(data)
