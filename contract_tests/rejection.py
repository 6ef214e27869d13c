"""Checks that every documented kind of invalid body gets the documented 400."""

from __future__ import annotations

import uuid
from typing import Any

from contract_tests.behaviours import checks
from contract_tests.context import RunContext
from contract_tests.rules import fields_of_kind

DOCUMENTED_400 = [{"url": "invalid-url"}]  # the request of the documentation's 400 example
BAD_URLS = (
    "invalid-url",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "http://",
    "https://exa mple.com",
    " https://example.com",
    "https://example.com\n",
    "https://example.com/\u0007bell",
    "//example.com/no-scheme",
)
WRONG_VALUES: tuple[tuple[str, Any], ...] = (
    ("collectionId", "not-a-uuid"),
    ("collectionId", 42),
    ("url", 5),
    ("title", 5),
    ("description", ["a list"]),
    ("cloaked", "yes"),
    ("cloaked", 1),
    ("expiresAt", "tomorrow"),
    ("expiresAt", "2026-13-40T25:61:00Z"),
    ("utm", {"source": 1}),
    ("utm", "google"),
    ("geo", {"sa": "https://example.com/sa"}),
    ("geo", {"SAU": "https://example.com/sa"}),
    ("geo", {"SA": "not-a-url"}),
    ("geo", ["SA"]),
    ("partnerId", "partner-1"),
    ("externalId", 7),
    ("tenantId", True),
    ("password", 1234),
)


@checks(
    "invalid.documented-example",
    "the documented 400 request is rejected",
    "Status Codes > 400",
)
def check_documented_example(ctx: RunContext) -> None:
    """The documented 400 request, and its url rule on its own, get the documented 400."""
    with ctx.checking("invalid.documented-example"):
        for items in (
            DOCUMENTED_400,
            [{**DOCUMENTED_400[0], "collectionId": ctx.settings.collection_id}],
        ):
            exchange = ctx.post(items)
            ctx.expect_error(
                "invalid.documented-example", exchange, 400, "the documented 400 request"
            )


@checks(
    "invalid.url",
    "a URL that is not an absolute http(s) URL is rejected",
    "Request Body; decision 10",
)
def check_urls(ctx: RunContext) -> None:
    """Each URL field rejects what is not an absolute http(s) URL with a host (decision 10)."""
    with ctx.checking("invalid.url"):
        for bad in BAD_URLS:
            exchange = ctx.post([ctx.link(url=bad)])
            ctx.expect_error("invalid.url", exchange, 400, f"url {bad!r} is not an http(s) URL")
        for field in fields_of_kind("url"):
            exchange = ctx.post([ctx.link(**{field: "invalid-url"})])
            ctx.expect_error("invalid.url", exchange, 400, f"{field} is not an http(s) URL")


@checks(
    "invalid.body-shape",
    "a body that is not JSON, not an array, or has a non-object item is rejected",
    "Request Body; decision 2",
)
def check_body_shape(ctx: RunContext) -> None:
    """Not JSON, not an array, or an item that is not an object: 400 (decision 2)."""
    with ctx.checking("invalid.body-shape"):
        for raw in (b"not json", b"[{", b"", b"\xff\xfe"):
            exchange = ctx.post(
                raw=raw, headers={**ctx.bearer(), "Content-Type": "application/json"}
            )
            ctx.expect_error("invalid.body-shape", exchange, 400, f"body {raw!r} is not JSON")
        for body in (ctx.link(), "text", 17, None, [17], ["x"], [None], [[ctx.link()]]):
            exchange = ctx.post(body)
            ctx.expect_error("invalid.body-shape", exchange, 400, "not an array of link objects")


@checks("invalid.empty-array", "an empty array is rejected", "Request Body; decision 2")
def check_empty_array(ctx: RunContext) -> None:
    """An empty array gets 400 (decision 2)."""
    with ctx.checking("invalid.empty-array"):
        ctx.expect_error("invalid.empty-array", ctx.post([]), 400, "an empty array")


@checks("invalid.required-field", "a link without url or collectionId is rejected", "Request Body")
def check_required_fields(ctx: RunContext) -> None:
    """A link without url, without collectionId, or empty gets 400."""
    with ctx.checking("invalid.required-field"):
        link = ctx.link()
        for item in ({"collectionId": link["collectionId"]}, {"url": link["url"]}, {}):
            exchange = ctx.post([item])
            ctx.expect_error(
                "invalid.required-field", exchange, 400, "url and collectionId are required"
            )


@checks(
    "invalid.wrong-value",
    "a field of the wrong type or format is rejected",
    "Request Body; decision 2",
)
def check_wrong_values(ctx: RunContext) -> None:
    """A field of the wrong type or format gets 400, also as the second item of a batch."""
    with ctx.checking("invalid.wrong-value"):
        for field, value in WRONG_VALUES:
            exchange = ctx.post([ctx.link(), ctx.link(**{field: value})])
            ctx.expect_error("invalid.wrong-value", exchange, 400, f"{field}={value!r} is invalid")


@checks("invalid.null", "null for any field is rejected", "decision 2")
def check_nulls(ctx: RunContext) -> None:
    """``null`` for any documented field gets 400 (decision 2)."""
    with ctx.checking("invalid.null"):
        for field in sorted(ctx_fields()):
            exchange = ctx.post([ctx.link(**{field: None})])
            ctx.expect_error("invalid.null", exchange, 400, f"{field}: null is never valid")


def ctx_fields() -> frozenset[str]:
    """Return every field a link object documents."""
    from contract_tests.expectations import link_fields

    return link_fields()


@checks(
    "invalid.unknown-collection",
    "an unknown collectionId is rejected",
    "Request Body; Important Constraints",
)
def check_unknown_collection(ctx: RunContext) -> None:
    """A collectionId that names no collection of the workspace gets 400."""
    with ctx.checking("invalid.unknown-collection"):
        unknown = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hoko-contract/{ctx.settings.run_tag}"))
        exchange = ctx.post([ctx.link(collectionId=unknown)])
        ctx.expect_error("invalid.unknown-collection", exchange, 400, "the collection must exist")


CHECKS = (
    check_documented_example,
    check_urls,
    check_body_shape,
    check_empty_array,
    check_required_fields,
    check_wrong_values,
    check_nulls,
    check_unknown_collection,
)
