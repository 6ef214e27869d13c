"""Checks of batch limits, all-or-nothing creation and externalId uniqueness."""

from __future__ import annotations

import uuid
from typing import Any

from contract_tests.behaviours import checks
from contract_tests.context import RunContext
from contract_tests.settings import DOCUMENTED_MAX_BATCH


def batch(ctx: RunContext, size: int) -> list[dict[str, Any]]:
    """Return ``size`` valid links, each with its own url and externalId."""
    return [ctx.link(externalId=ctx.fresh()) for _ in range(size)]


@checks(
    "batch.limits",
    "1 and --max-batch links are created; one more is rejected",
    "Request Body; Plan Limits",
)
def check_limits(ctx: RunContext) -> None:
    """1 and --max-batch links are created; one over the plan's or the hard limit is rejected."""
    with ctx.checking("batch.limits"):
        for size in sorted({1, 2, ctx.settings.max_batch}):
            items = batch(ctx, size)
            ctx.expect_created("batch.limits", ctx.post(items), items)
        over = batch(ctx, ctx.settings.max_batch + 1)
        limit = "10,000" if ctx.settings.max_batch == DOCUMENTED_MAX_BATCH else "the plan's limit"
        exchange = ctx.post(over)
        if ctx.expect_error("batch.limits", exchange, 400, f"more than {limit} links"):
            assert_still_free(ctx, "batch.limits", over[:1], "a rejected over-limit batch")


def assert_still_free(
    ctx: RunContext, behaviour_id: str, items: list[dict[str, Any]], after: str
) -> None:
    """Create ``items`` again with new urls: their externalIds must still be free."""
    retry = [{**item, "url": ctx.link()["url"]} for item in items]
    ctx.expect_created(
        behaviour_id, ctx.post(retry), retry, f"201: {after} left its externalIds free"
    )


@checks("batch.atomic", "a rejected batch creates nothing: its externalIds stay free", "decision 4")
def check_atomic(ctx: RunContext) -> None:
    """A batch rejected for any item creates none of its links (decision 4)."""
    with ctx.checking("batch.atomic"):
        unknown = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"hoko-contract/atomic/{ctx.settings.run_tag}")
        )
        spoilers = (
            {"url": "invalid-url"},
            {"collectionId": unknown},
            {"title": None},
        )
        for spoiler in spoilers:
            items = [*batch(ctx, 2), ctx.link(externalId=ctx.fresh(), **spoiler)]
            if ctx.expect_error("batch.atomic", ctx.post(items), 400, f"an item with {spoiler}"):
                valid = [
                    {**items[2], **{key: ctx.link()[key] for key in spoiler if key != "title"}}
                ]
                valid[0].pop("title", None)
                assert_still_free(ctx, "batch.atomic", [*items[:2], *valid], "a rejected batch")


@checks(
    "external-id.unique-across",
    "an externalId already used is rejected",
    "Request Body; Important Constraints",
)
def check_unique_across(ctx: RunContext) -> None:
    """An externalId used by an earlier request is rejected, alone or inside a batch."""
    with ctx.checking("external-id.unique-across"):
        taken = batch(ctx, 1)
        if ctx.expect_created("external-id.unique-across", ctx.post(taken), taken) is None:
            return
        again = [ctx.link(externalId=taken[0]["externalId"])]
        ctx.expect_error(
            "external-id.unique-across", ctx.post(again), 400, "the externalId is taken"
        )
        mixed = [*batch(ctx, 1), *again]
        if ctx.expect_error(
            "external-id.unique-across", ctx.post(mixed), 400, "the externalId is taken"
        ):
            assert_still_free(
                ctx, "batch.atomic", mixed[:1], "a batch rejected for a taken externalId"
            )


@checks(
    "external-id.unique-within",
    "an externalId repeated within one batch is rejected",
    "decision 2",
)
def check_unique_within(ctx: RunContext) -> None:
    """The same externalId twice in one batch is rejected, and stays free."""
    with ctx.checking("external-id.unique-within"):
        shared = ctx.fresh()
        twins = [ctx.link(externalId=shared), ctx.link(externalId=shared)]
        if ctx.expect_error(
            "external-id.unique-within", ctx.post(twins), 400, "externalId repeated in the batch"
        ):
            assert_still_free(
                ctx, "external-id.unique-within", twins[:1], "a batch with a repeated externalId"
            )


CHECKS = (check_limits, check_atomic, check_unique_across, check_unique_within)
