"""Checks that documented and edge-case valid requests create their links as documented."""

from __future__ import annotations

from typing import Any

import openapi
from contract_tests import rules
from contract_tests.behaviours import checks, declare
from contract_tests.context import RunContext
from contract_tests.expectations import FUTURE, is_future

# Real ISO 3166-1 codes: a server may check them against the list.
COUNTRIES = rules.COUNTRY_CODES[:12]
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
    item = {
        name: full_value(ctx, name, schema, at_bounds)
        for name, schema in rules.link_field_schemas().items()
    }
    return ctx.unlocked(item)


def full_value(ctx: RunContext, name: str, schema: dict[str, Any], at_bounds: bool) -> Any:
    """Return a valid value for one field, from what the spec says it holds."""
    kind, bound = rules.kind_of(schema), rules.length_bound(schema)
    stretch = at_bounds and bound is not None
    if name == rules.COLLECTION_FIELD:
        return ctx.settings.collection_id
    if kind == "url":
        url = ctx.link()["url"]
        return rules.padded_url(url, bound) if stretch and bound else url
    if kind == "text":
        start = ctx.fresh() if name == rules.EXTERNAL_ID_FIELD else f"{name} "
        return padded(start, bound) if stretch and bound else start
    if kind == "record":
        keys = {key: flattened_bound(schema, key) for key in rules.record_keys(name)}
        return {key: padded(key, keys[key]) if at_bounds else key for key in keys}
    if kind == "map":
        return {code: f"https://example.com/{code.lower()}" for code in COUNTRIES}
    plain_values = {
        "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "date-time": "2030-06-15T12:30:45Z",
        "boolean": False,
    }
    return plain_values[kind]


def flattened_bound(schema: dict[str, Any], key: str) -> int:
    """Return the maxLength of one key of an object field (its own length when unbounded)."""
    bound = rules.length_bound(rules.flattened(schema["properties"][key]))
    return bound if bound is not None else len(key)


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
