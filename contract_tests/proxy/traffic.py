"""One exchange as the proxy saw it: the request as sent, the upstream's answer as received."""

from __future__ import annotations

from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]


@dataclass
class Traffic:
    """A request and the upstream's original answer, bodies kept only where they were read whole."""

    started: float  # Unix time
    method: str
    url: str  # the upstream URL the request went to
    http_version: str
    request_headers: Headers
    request_body: bytes | None = None
    request_size: int = 0
    status: int | None = None  # None when the upstream gave no answer
    response_headers: Headers = field(default_factory=list)
    response_body: bytes | None = None
    response_size: int = 0
    elapsed: float = 0.0
    failure: str | None = None  # why the upstream gave no answer, or the stream broke
    note: str | None = None  # what the client got instead, when it was not this answer
    number: int = 0  # the exchange's place in the order the proxy received them
    alone: bool = False  # no other exchange overlapped this one in time
    read_ahead: object = None  # what the judge read of the request before the answer came

    def header(self, name: bytes, response: bool = True) -> str | None:
        """Return the first value of header ``name`` (lower-case bytes), decoded, or None."""
        for key, value in self.response_headers if response else self.request_headers:
            if key.lower() == name:
                return value.decode("latin-1")
        return None

    def first_values(self, response: bool = True) -> dict[bytes, str]:
        """Return each header's first value, decoded, by its lower-case name, in one pass."""
        found: dict[bytes, str] = {}
        for key, value in self.response_headers if response else self.request_headers:
            name = key.lower()
            if name not in found:
                found[name] = value.decode("latin-1")
        return found
