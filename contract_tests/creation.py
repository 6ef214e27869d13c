"""Checks that documented and edge-case valid requests create their links as documented."""

from __future__ import annotations

from typing import Any

import openapi
from contract_tests.behaviours import checks, declare
from contract_tests.context import RunContext
from contract_tests.expectations import FUTURE, is_future

# Real ISO 3166-1 codes: a server may check them against the list.
COUNTRIES = ("SA", "AE", "EG", "US", "GB", "FR", "DE", "JP", "BR", "IN", "NG", "KW")
EDGE_STRINGS = (
    "",
    "طلب غير صالح",
    "🔗 emoji ✨ and 𝔘nicode",
    "  leading and trailing spaces  ",
    "line\nbreak\ttab",
    "e\u0301 combining, \u00e9 precomposed",
    '"quotes" \\ backslash </script>',
    "日本語のタイトル",
)


def documented_request(name: str, ctx: RunContext) -> list[dict[str, Any]]:
    """Return the spec's named request example, pointed at the configured collection."""
    items = [
        {**ctx.unlocked(item), "collectionId": ctx.settings.collection_id}
        for item in openapi.request_examples()[name]
    ]
    for item in items:
        # A documented expiresAt now past moves to the future: a past one is free (decision 8).
        if "expiresAt" in item and not is_future(item["expiresAt"]):
            item["expiresAt"] = FUTURE
    return items


declare(
    "create.response-body",
    "201 body: one link per item, in order, sent fields unchanged, shortUrl and qrCode derived",
    "Status Codes > 201; decision 5",
)

declare(
    "create.unique-links",
    "ids and shortUrls are unique across all responses",
    "Endpoint; decision 5",
)


@checks(
    "create.documented-example",
    "the documented 201 request (every plan feature) creates its link",
    "Status Codes > 201",
)
def check_documented_example(ctx: RunContext) -> None:
    """The documented 201 request with every plan feature creates its link."""
    with ctx.checking("create.documented-example"):
        items = documented_request("documentedWithPlanFeatures", ctx)
        ctx.expect_created("create.documented-example", ctx.post(items), items)


@checks("create.metadata-example", "the documented Examples request creates its link", "Examples")
def check_metadata_example(ctx: RunContext) -> None:
    """The documented Examples request creates its link with title, description and UTM."""
    with ctx.checking("create.metadata-example"):
        items = documented_request("documentedWithMetadata", ctx)
        ctx.expect_created("create.metadata-example", ctx.post(items), items)


def padded(prefix: str, length: int) -> str:
    """Return ``prefix`` padded with letters to exactly ``length`` characters."""
    return (prefix + "x" * length)[:length]


def every_field(ctx: RunContext, at_bounds: bool) -> dict[str, Any]:
    """Return a link with every documented field, each string at its maxLength if ``at_bounds``."""

    def text(prefix: str, length: int) -> str:
        return padded(prefix, length) if at_bounds else prefix

    base = ctx.link()
    url = padded(base["url"] + "?q=", 2048) if at_bounds else base["url"]
    return ctx.unlocked(
        {
            "url": url,
            "collectionId": ctx.settings.collection_id,
            "title": text("Title ", 500),
            "description": text("Description ", 2000),
            "image": "https://example.com/image.png",
            "utm": {
                name: text(name, 255)
                for name in ("source", "medium", "campaign", "term", "content", "referral")
            },
            "expiresAt": "2030-06-15T12:30:45Z",
            "expiredUrl": "https://example.com/expired",
            "password": text("pw", 256),
            "cloaked": False,
            "ios": "https://apps.example.com/ios?id=1",
            "android": "https://apps.example.com/android#x",
            "geo": {code: f"https://example.com/{code.lower()}" for code in COUNTRIES},
            "externalId": text(ctx.fresh(), 255),
            "tenantId": text("tenant-", 255),
            "partnerId": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        }
    )


@checks(
    "create.every-field",
    "a link with every documented field at its maximal length is created",
    "Request Body; decision 9",
)
def check_every_field(ctx: RunContext) -> None:
    """A link with every field, one of them with every string at its maxLength, is created."""
    with ctx.checking("create.every-field"):
        for items in ([every_field(ctx, at_bounds=False)], [every_field(ctx, at_bounds=True)]):
            ctx.expect_created("create.every-field", ctx.post(items), items)


@checks(
    "create.edge-strings",
    "empty, non-ASCII, emoji and space-edged strings are accepted and echoed unchanged",
    "Request Body; decision 9",
)
def check_edge_strings(ctx: RunContext) -> None:
    """Edge strings in every free-text field are accepted and echoed unchanged."""
    with ctx.checking("create.edge-strings"):
        items = [
            ctx.unlocked(
                ctx.link(
                    title=text,
                    description=text[::-1],
                    password=text,
                    tenantId=text,
                    externalId=f"{ctx.fresh()}-{text}",
                    utm={"source": text, "campaign": text},
                )
            )
            for text in EDGE_STRINGS
        ]
        step = ctx.settings.max_batch
        for start in range(0, len(items), step):
            chunk = items[start : start + step]
            ctx.expect_created("create.edge-strings", ctx.post(chunk), chunk)


CHECKS = (check_documented_example, check_metadata_example, check_every_field, check_edge_strings)
