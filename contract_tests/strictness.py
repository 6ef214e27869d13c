"""Checks of the points the contract marks free, run only with ``--strict``."""

from __future__ import annotations

import itertools
from typing import Any

from contract_tests import rules
from contract_tests.behaviours import checks, declare
from contract_tests.context import RunContext

declare(
    "strict.echo-every-field",
    "every sent field is echoed",
    "decision 5 (free)",
    strict_only=True,
)


@checks(
    "strict.unknown-properties",
    "unknown link properties are accepted and not echoed",
    "decision 3 (free)",
    strict_only=True,
)
def check_unknown_properties(ctx: RunContext) -> None:
    """An unknown link property is accepted and not echoed (decision 3)."""
    with ctx.checking("strict.unknown-properties"):
        items = [ctx.link(notAHokoField="ignored")]
        ctx.expect_created("strict.unknown-properties", ctx.post(items), items)


@checks(
    "strict.past-expiry",
    "an expiresAt in the past is accepted",
    "decision 8 (free)",
    strict_only=True,
)
def check_past_expiry(ctx: RunContext) -> None:
    """An expiresAt in the past is accepted (decision 8)."""
    with ctx.checking("strict.past-expiry"):
        if "expiresAt" in ctx.locked_fields:
            ctx.verdict.note("strict.past-expiry", "not checked: the plan lacks expiresAt")
            return
        items = [ctx.link(expiresAt="2001-02-03T04:05:06Z")]
        ctx.expect_created("strict.past-expiry", ctx.post(items), items)


@checks(
    "strict.max-lengths",
    "strings over maxLength and geo over maxProperties are rejected",
    "decision 9 (free)",
    strict_only=True,
)
def check_max_lengths(ctx: RunContext) -> None:
    """A string over its maxLength, or geo over maxProperties, is rejected (decision 9)."""
    with ctx.checking("strict.max-lengths"):
        too_long = [
            {name: over_bound(ctx, name, schema)}
            for name, schema in rules.link_field_schemas().items()
            if rules.length_bound(schema) is not None
            and rules.kind_of(schema) in ("url", "text", "map")
            and name not in ctx.locked_fields
        ]
        for fields in too_long:
            exchange = ctx.post([ctx.link(**fields)])
            ctx.expect_error(
                "strict.max-lengths", exchange, 400, f"{next(iter(fields))} over its bound"
            )


def over_bound(ctx: RunContext, name: str, schema: dict[str, Any]) -> Any:
    """Return a value one over the field's maxLength or maxProperties (decision 9)."""
    bound = rules.length_bound(schema) or 0
    kind = rules.kind_of(schema)
    if kind == "url":
        return rules.padded_url(ctx.link()["url"], bound + 1)
    if kind == "map":
        # Two-letter codes in pattern; past the assigned ones, a server may refuse them anyway.
        codes = (f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(26 * 26))
        return dict.fromkeys(itertools.islice(codes, bound + 1), "https://example.com")
    return "t" * (bound + 1)


# Decision 10's free part: URLs this contract refuses but a server may accept.
CONTRACT_ONLY_BAD_URLS = (
    "https://exämple.com/",
    "https://example.com/\u00fcber",
    "https://example.com/%zz",
    "https://example.com/a<b",
    "https://example.com:65536/",
    "HTTPS://example.com/",
)


@checks(
    "strict.url-form",
    "URLs outside RFC 3986's ASCII form or with a port over 65535 are rejected",
    "decision 10 (free)",
    strict_only=True,
)
def check_contract_only_urls(ctx: RunContext) -> None:
    """A URL outside RFC 3986's ASCII form, or with a port over 65535, is rejected (decision 10)."""
    with ctx.checking("strict.url-form"):
        for bad in CONTRACT_ONLY_BAD_URLS:
            exchange = ctx.post([ctx.link(url=bad)])
            ctx.expect_error("strict.url-form", exchange, 400, f"url {bad!r} is refused")


@checks(
    "strict.utm-keys",
    "unknown utm keys are rejected",
    "Request Body > utm (free)",
    strict_only=True,
)
def check_unknown_utm_keys(ctx: RunContext) -> None:
    """A utm key other than the six documented ones is rejected (the Utm schema)."""
    with ctx.checking("strict.utm-keys"):
        exchange = ctx.post([ctx.link(utm={"source": "google", "unknownUtmKey": "x"})])
        ctx.expect_error("strict.utm-keys", exchange, 400, "utm allows six documented keys")


CHECKS = (
    check_unknown_properties,
    check_past_expiry,
    check_max_lengths,
    check_contract_only_urls,
    check_unknown_utm_keys,
)
