"""Checks of the documented 401 and 403 answers and of their place before everything else."""

from __future__ import annotations

from contract_tests.behaviours import checks
from contract_tests.context import RunContext

UNKNOWN_KEY = "invalid_key"  # the key of the documented 401 request


@checks(
    "auth.missing-header",
    "401 when the Authorization header is missing",
    "Status Codes > 401; decision 1",
)
def check_missing_header(ctx: RunContext) -> None:
    """A request without Authorization gets the documented 401, with or without a body."""
    with ctx.checking("auth.missing-header"):
        for body in ([ctx.link()], []):
            exchange = ctx.post(body, headers={"Content-Type": "application/json"})
            ctx.expect_error("auth.missing-header", exchange, 401, "no Authorization header")


@checks(
    "auth.non-bearer",
    "401 for a scheme other than Bearer",
    "Authentication; Status Codes > 401",
)
def check_non_bearer(ctx: RunContext) -> None:
    """The valid key under another scheme, or with no scheme, gets 401."""
    with ctx.checking("auth.non-bearer"):
        for value in (
            f"Basic {ctx.settings.api_key}",
            ctx.settings.api_key,
            f"Token {ctx.settings.api_key}",
        ):
            headers = {"Authorization": value, "Content-Type": "application/json"}
            exchange = ctx.post([ctx.link()], headers=headers)
            ctx.expect_error("auth.non-bearer", exchange, 401, "a scheme other than Bearer")


@checks("auth.unknown-key", "401 for an unknown key (the documented request)", "Status Codes > 401")
def check_unknown_key(ctx: RunContext) -> None:
    """The documented 401 request (no body), and the same key with a valid body, get 401."""
    with ctx.checking("auth.unknown-key"):
        exchange = ctx.post(headers=ctx.bearer(UNKNOWN_KEY))
        ctx.expect_error("auth.unknown-key", exchange, 401, "an unknown key")
        exchange = ctx.post([ctx.link()], headers=ctx.bearer(UNKNOWN_KEY))
        ctx.expect_error("auth.unknown-key", exchange, 401, "an unknown key")


@checks(
    "auth.missing-scope",
    "403 with missingScopes for a key without linksWrite",
    "Authentication; Status Codes > 403",
)
def check_missing_scope(ctx: RunContext) -> None:
    """The documented 403 request with the no-scope key, and the same with a valid body, get 403."""
    with ctx.checking("auth.missing-scope"):
        exchange = ctx.post(headers=ctx.bearer(ctx.settings.no_scope_key))
        ctx.expect_error("auth.missing-scope", exchange, 403, "missingScopes names linksWrite")
        exchange = ctx.post([ctx.link()], headers=ctx.bearer(ctx.settings.no_scope_key))
        ctx.expect_error("auth.missing-scope", exchange, 403, "missingScopes names linksWrite")


@checks(
    "auth.before-body",
    "401 and 403 come before the body is read",
    "Status Codes > 401, 403; decision 1",
)
def check_before_body(ctx: RunContext) -> None:
    """An invalid body does not hide a 401 or a 403 (decision 1)."""
    with ctx.checking("auth.before-body"):
        cases = (
            ({"Content-Type": "application/json"}, 401),
            ({**ctx.bearer(UNKNOWN_KEY), "Content-Type": "application/json"}, 401),
            ({**ctx.bearer(ctx.settings.no_scope_key), "Content-Type": "application/json"}, 403),
        )
        for headers, status in cases:
            exchange = ctx.post(raw=b"{not json", headers=headers)
            ctx.expect_error("auth.before-body", exchange, status, "checked before the body")


CHECKS = (
    check_missing_header,
    check_non_bearer,
    check_unknown_key,
    check_missing_scope,
    check_before_body,
)
