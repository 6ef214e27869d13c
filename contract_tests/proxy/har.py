"""Every exchange as a HAR 1.2 file, spooled to disk as it happens and written whole on exit."""

from __future__ import annotations

import base64
import datetime
import http
import os
import urllib.parse
from pathlib import Path
from typing import Any

import orjson

from contract_tests.proxy.errors import ProxyUsageError
from contract_tests.proxy.masking import masked_headers
from contract_tests.proxy.traffic import Headers, Traffic

CREATOR = {"name": "hoko-contract proxy", "version": "1"}


class HarRecorder:
    """Spools one HAR entry per exchange next to ``path``; ``write`` assembles the file."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.spool_path = self.path.with_name(self.path.name + ".partial")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Spooled, not held: a day of 10,000-link batches must not live in memory.
            self.spool = self.spool_path.open("wb")
        except OSError as error:
            raise ProxyUsageError(
                "--har", f"cannot write {path}: {error.strerror or error}"
            ) from None
        self.entries = 0

    def add(self, traffic: Traffic) -> None:
        """Append the entry of one exchange."""
        self.spool.write(orjson.dumps(entry(traffic)) + b"\n")
        self.entries += 1

    def write(self) -> None:
        """Write the whole HAR file from the spool and remove the spool."""
        self.spool.close()
        with self.path.open("wb") as out, self.spool_path.open("rb") as spooled:
            head = {"version": "1.2", "creator": CREATOR, "entries": []}
            opening = orjson.dumps({"log": head})[: -len(b"]}}")]
            out.write(opening)
            for index, line in enumerate(spooled):
                out.write((b"," if index else b"") + line.rstrip(b"\n"))
            out.write(b"]}}")
        os.unlink(self.spool_path)


def entry(traffic: Traffic) -> dict[str, Any]:
    """Return the HAR entry of one exchange, credentials masked."""
    started = datetime.datetime.fromtimestamp(traffic.started, datetime.UTC)
    query = urllib.parse.urlsplit(traffic.url).query
    request: dict[str, Any] = {
        "method": traffic.method,
        "url": traffic.url,
        "httpVersion": f"HTTP/{traffic.http_version}",
        "cookies": [],
        "headers": _headers(traffic.request_headers),
        "queryString": [
            {"name": name, "value": value}
            for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": traffic.request_size,
    }
    if traffic.request_body is not None:
        request["postData"] = {
            "mimeType": traffic.header(b"content-type", response=False) or "",
            "text": traffic.request_body.decode("utf-8", "backslashreplace"),
        }
    record: dict[str, Any] = {
        "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": round(traffic.elapsed * 1000, 3),
        "request": request,
        "response": _response(traffic),
        "cache": {},
        "timings": {"send": 0, "wait": round(traffic.elapsed * 1000, 3), "receive": 0},
    }
    comment = "; ".join(text for text in (traffic.failure, traffic.note) if text)
    if comment:
        record["comment"] = comment
    return record


def _response(traffic: Traffic) -> dict[str, Any]:
    status = traffic.status or 0
    content: dict[str, Any] = {
        "size": traffic.response_size,
        "mimeType": traffic.header(b"content-type") or "",
    }
    if traffic.response_body is not None:
        try:
            content["text"] = traffic.response_body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(traffic.response_body).decode("ascii")
            content["encoding"] = "base64"
    elif traffic.response_size:
        content["comment"] = f"body not kept: {traffic.response_size} bytes streamed"
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return {
        "status": status,
        "statusText": phrase,
        "httpVersion": f"HTTP/{traffic.http_version}",
        "cookies": [],
        "headers": _headers(traffic.response_headers),
        "content": content,
        "redirectURL": traffic.header(b"location") or "",
        "headersSize": -1,
        "bodySize": traffic.response_size if traffic.status is not None else -1,
    }


def _headers(headers: Headers) -> list[dict[str, str]]:
    decoded = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
    return [{"name": name, "value": value} for name, value in masked_headers(decoded)]
