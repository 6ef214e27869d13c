"""Forced responses chosen with a Prism-compatible ``Prefer: code=429, example=<name>`` header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

import openapi
from mock_server.errors import Issue, RejectedRequestError


@dataclass(frozen=True, slots=True)
class Forced:
    """A documented response picked by the Prefer header: its status, example name and body."""

    status: int
    example: str
    body: bytes


class UnknownPreferenceError(RejectedRequestError):
    """The Prefer header names a status or example the spec does not document."""

    def __init__(self, message: str, available: dict[str, list[str]]) -> None:
        self.available = available
        super().__init__(400, (Issue("Prefer", "prefer", message),))


class Preferences:
    """The spec's documented responses of ``POST /api/links``, indexed for the Prefer header."""

    def __init__(self) -> None:
        self._examples: dict[int, dict[str, bytes]] = {
            status: {
                name: orjson.dumps(value)
                for name, value in openapi.response_examples(status).items()
            }
            for status in openapi.STATUS_CODES
        }
        self.available = {str(status): list(names) for status, names in self._examples.items()}

    def choose(self, header: str | None) -> Forced | None:
        """Return the response ``header`` asks for, None if it asks for none, or reject it."""
        if not header:
            return None
        wanted = dict(_preferences(header))
        code, example = wanted.get("code"), wanted.get("example")
        if code is None and example is None:
            return None
        if code is not None:
            # Compared as text: int() fails on digits such as '²' and on 5,000-digit numbers.
            if code not in self.available:
                documented = ", ".join(self.available)
                raise UnknownPreferenceError(
                    f"no documented response {code!r}; documented: {documented}", self.available
                )
            status = int(code)
            examples = self._examples[status]
            name = example if example is not None else next(iter(examples))
            if name not in examples:
                listed = ", ".join(examples)
                message = f"no example {name!r} for status {status}; its examples: {listed}"
                raise UnknownPreferenceError(message, self.available)
            return Forced(status, name, examples[name])
        for status, examples in self._examples.items():
            if example in examples:
                return Forced(status, example, examples[example])
        every = ", ".join(
            f"{name} ({status})" for status, names in self.available.items() for name in names
        )
        raise UnknownPreferenceError(
            f"no example {example!r}; documented examples: {every}", self.available
        )


def _preferences(header: str) -> list[tuple[str, str]]:
    """Split ``code=429, example="x"; other`` into ``(name, value)`` pairs, names lowercased."""
    pairs: list[tuple[str, Any]] = []
    for token in re.split(r"[,;]", header):
        name, _, value = token.strip().partition("=")
        if name:
            pairs.append((name.strip().lower(), value.strip().strip('"')))
    return pairs


def preference(header: str, name: str) -> str | None:
    """Return the value the Prefer ``header`` gives preference ``name``, if it names it."""
    return dict(_preferences(header)).get(name)
