"""Decision 10: URLs are absolute http(s) URLs with a host, in ASCII as RFC 3986 allows."""

from __future__ import annotations

import re
import string
from typing import Any

import jsonschema_rs
from hypothesis import given
from hypothesis import strategies as st

import openapi

URL_SCHEMA = openapi.schema_at("#/components/schemas/HttpUrl")
# JSON Schema patterns are ECMA-262: `$` is the end of the text, where Python's `$` also matches
# before a final newline. `\Z` gives Python the ECMA meaning.
URL_PATTERN = re.compile(URL_SCHEMA["pattern"].removesuffix("$") + r"\Z")
VALIDATOR = jsonschema_rs.validator_for(URL_SCHEMA, validate_formats=True)

label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z")
host = st.lists(label, min_size=1, max_size=4).map(".".join)
path_char = st.sampled_from(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/")
path = st.lists(path_char, max_size=30).map("".join)
valid_urls = st.builds(
    "{}://{}{}/{}".format,
    st.sampled_from(["http", "https"]),
    host,
    st.sampled_from(["", ":80", ":8443"]),
    path,
)
forbidden = st.sampled_from(
    [" ", "\t", "\n", "\x00", "\x1f", "\x7f", "é", "字", "\u00a0", "<", '"']
)


def accepts(value: Any) -> bool:
    return bool(VALIDATOR.is_valid(value))


@given(valid_urls)
def test_well_formed_http_urls_are_accepted(url: str) -> None:
    assert accepts(url)


@given(valid_urls, forbidden, st.integers(min_value=0))
def test_whitespace_control_and_non_ascii_characters_are_rejected(
    url: str, char: str, position: int
) -> None:
    at = position % (len(url) + 1)
    assert not accepts(url[:at] + char + url[at:])


@given(st.sampled_from(["ftp", "file", "javascript", "mailto", "ws", "HTTP", "data"]), host)
def test_other_schemes_are_rejected(scheme: str, hostname: str) -> None:
    assert not accepts(f"{scheme}://{hostname}/")


def test_hostless_and_relative_urls_are_rejected() -> None:
    for value in [
        "http://",
        "https://",
        "http:///path",
        "//example.com",
        "example.com",
        "invalid-url",
    ]:
        assert not accepts(value), value


def test_a_trailing_newline_is_rejected() -> None:
    assert URL_SCHEMA["pattern"].endswith("$")
    assert not accepts("https://example.com/\n")
    assert not URL_PATTERN.search("https://example.com/\n")


def test_malformed_percent_escapes_are_rejected() -> None:
    assert accepts("https://example.com/a%20b")
    assert not accepts("https://example.com/a%2")
    assert not accepts("https://example.com/a%zz")


PATTERN_ONLY = jsonschema_rs.validator_for({"type": "string", "pattern": URL_SCHEMA["pattern"]})


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_python_and_the_compiled_validator_agree_on_the_pattern(tail: str) -> None:
    # The mock validates with jsonschema-rs; generators and the suite read the pattern with `re`.
    for candidate in (tail, "http://" + tail, "https://example.com/" + tail, tail + "\n"):
        assert bool(URL_PATTERN.search(candidate)) is bool(PATTERN_ONLY.is_valid(candidate))


def test_ports_stop_at_65535() -> None:
    assert accepts("https://example.com:65535/")
    assert accepts("https://example.com:1/")
    assert not accepts("https://example.com:65536/")
    assert not accepts("https://example.com:99999/")
