"""Semantics that take two requests or a header to observe: identity, repetition, counting."""

from __future__ import annotations

import itertools
import unicodedata

from contract_tests.behaviours import checks
from contract_tests.context import RunContext
from contract_tests.transport import Exchange

COMPOSED = unicodedata.normalize("NFC", "café")


@checks(
    "external-id.exact-equality",
    "externalIds that differ only in case or Unicode form are different ids, all accepted",
    "Request Body > externalId; decision 2",
)
def check_exact_equality(ctx: RunContext) -> None:
    """Case and Unicode-form variants of one externalId are created, in one batch and across."""
    with ctx.checking("external-id.exact-equality"):
        base = ctx.fresh("eq")
        variants = [f"{base}-Mixed", f"{base}-mixed", f"{base}-MIXED"]
        if ctx.settings.max_batch >= len(variants):
            items = [ctx.link(externalId=variant) for variant in variants]
            ctx.expect_created("external-id.exact-equality", ctx.post(items), items)
        else:
            for variant in variants:
                items = [ctx.link(externalId=variant)]
                ctx.expect_created("external-id.exact-equality", ctx.post(items), items)
        for form in ("NFC", "NFD"):
            items = [ctx.link(externalId=f"{base}-{unicodedata.normalize(form, COMPOSED)}")]
            why = f"201: the {form} form is another externalId than the other form"
            ctx.expect_created("external-id.exact-equality", ctx.post(items), items, why)


@checks(
    "create.same-url",
    "the same destination url may be shortened any number of times",
    "Endpoint; Request Body > url",
)
def check_same_url(ctx: RunContext) -> None:
    """One url several times in a batch, and again in a later request, gives new links each time."""
    with ctx.checking("create.same-url"):
        url = ctx.link()["url"]
        repeated = [ctx.link(url=url) for _ in range(min(3, ctx.settings.max_batch))]
        ctx.expect_created("create.same-url", ctx.post(repeated), repeated)
        again = [ctx.link(url=url)]
        ctx.expect_created("create.same-url", ctx.post(again), again)


def remaining(exchange: Exchange) -> tuple[int, str] | None:
    """Return X-RateLimit-Remaining and the window's reset, when the answer says them."""
    headers = exchange.received.headers
    value = headers.get("x-ratelimit-remaining", "").strip()
    return (int(value), headers.get("x-ratelimit-reset", "")) if value.isdigit() else None


@checks(
    "rate-limit.remaining-counts",
    "X-RateLimit-Remaining, where sent, falls by exactly one per authenticated request, "
    "201, 400 and 403 alike",
    "Status Codes > 429; decisions 1, 7",
)
def check_remaining_counts(ctx: RunContext) -> None:
    """Consecutive answers of one window show Remaining falling by one, whatever the status.

    One request counts once however many links it carries: the limit counts requests.
    """
    with ctx.checking("rate-limit.remaining-counts"):
        several = [ctx.link() for _ in range(min(3, ctx.settings.max_batch))]
        full = [[ctx.link()], several, [], [{"url": "invalid-url"}], [ctx.link()], "not a list"]
        sequences = {
            "the linksWrite key": [ctx.post(body) for body in full],
            "the key without linksWrite": [
                ctx.post([ctx.link()], headers=ctx.bearer(ctx.settings.no_scope_key))
                for _ in range(3)
            ],
        }
        ctx.verdict.note(
            "rate-limit.remaining-counts",
            "no two answers of one window carried X-RateLimit-Remaining (free, decision 7)",
        )
        for key, exchanges in sequences.items():
            for before, after in itertools.pairwise(exchanges):
                first, second = remaining(before), remaining(after)
                if first is None or second is None or first[1] != second[1]:
                    continue  # not sent, or a new window began between the two
                problems = []
                if first[0] - second[0] != 1 and second[0] != 0:
                    problems.append(
                        f"Remaining went {first[0]} -> {second[0]} for {key} "
                        f"({before.received.status} then {after.received.status})"
                    )
                ctx.record(
                    "rate-limit.remaining-counts", after, problems,
                    "every authenticated request counts once (decision 1)",
                )  # fmt: skip


CHECKS = (check_exact_equality, check_same_url, check_remaining_counts)
