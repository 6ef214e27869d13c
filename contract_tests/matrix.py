"""The coverage matrix, run: every rule broken alone in a valid batch, and every valid edge."""

from __future__ import annotations

from typing import Any

from contract_tests import expectations
from contract_tests.behaviours import checks, declare
from contract_tests.context import RunContext
from contract_tests.coverage import CellOutcome
from contract_tests.rules import COLLECTION_FIELD, Cell, cells, plan_features

REJECTED = "matrix.rejected"
ACCEPTED = "matrix.accepted"
PLAN = "plan.gated-fields"

declare(
    PLAN,
    "gated fields follow --plan-features: created inside the plan, a 400 storing nothing outside",
    "Request Body; decisions 2, 16",
)


def item_for(ctx: RunContext, cell: Cell) -> dict[str, Any]:
    """Return a valid link with a fresh externalId, changed only as ``cell`` says."""
    item = ctx.link(externalId=ctx.fresh("mx"))
    if cell.omit:
        del item[cell.field]
    elif cell.field == COLLECTION_FIELD and not cell.reject:  # the collection must exist
        upper = cell.value == cell.value.upper()
        collection = ctx.settings.collection_id
        item[cell.field] = collection.upper() if upper else collection.lower()
    else:
        item[cell.field] = cell.value
    return item


def unlocked(ctx: RunContext, cell: Cell) -> bool:
    """Tell whether the key's plan allows the cell's field."""
    return cell.feature is None or cell.field not in ctx.locked_fields


def plan_cells(ctx: RunContext) -> list[Cell]:
    """Return one cell per gated field the plan lacks, carrying that field's first valid edge."""
    found = []
    for field in plan_features():
        if field not in ctx.locked_fields:
            continue
        edge = next(c for c in cells() if c.field == field and not c.reject)
        found.append(Cell(field, "plan", True, edge.value, feature=edge.feature))
    return found


def spoiled_batch(ctx: RunContext, cell: Cell) -> list[dict[str, Any]]:
    """Return valid links around the one bad item, as many as the key's batch limit allows."""
    size = min(3, ctx.settings.max_batch)
    batch = [ctx.link(externalId=ctx.fresh("mx")) for _ in range(size - 1)]
    batch.insert(len(batch) // 2 + len(batch) % 2, item_for(ctx, cell))
    return batch


def repaired(ctx: RunContext, items: list[dict[str, Any]], cell: Cell) -> list[dict[str, Any]]:
    """Return ``items`` made valid again (the cell's field dropped), with new urls."""
    fixed = []
    for item in items:
        again = {key: value for key, value in item.items() if key != cell.field}
        again.update(url=ctx.link()["url"], collectionId=ctx.settings.collection_id)
        fixed.append(again)
    return fixed


@checks(
    REJECTED,
    "every rule broken alone, on every field, in a valid batch: 400, nothing stored",
    "Request Body; decisions 2, 4, 10, 15",
)
def check_rejected(ctx: RunContext) -> None:
    """Each reject cell spoils one valid batch: 400, and the batch's externalIds stay free."""
    chosen = [
        (REJECTED, c)
        for c in cells()
        if c.reject and unlocked(ctx, c) and (ctx.strict or not c.free)
    ]
    chosen += [(PLAN, c) for c in plan_cells(ctx)]
    # Every cell is listed: one the plan locks, or free outside --strict, shows as not run.
    for cell in [*(c for c in cells() if c.reject), *(c for _, c in chosen)]:
        ctx.coverage.plan(cell.name)
    refused: list[tuple[str, Cell, list[dict[str, Any]]]] = []
    with ctx.checking(REJECTED):
        for behaviour, cell in chosen:
            batch = spoiled_batch(ctx, cell)
            why = f"{cell.name}: {cell.value!r} breaks the rule (decision 2)"
            if ctx.expect_error(behaviour, ctx.post(batch), 400, why):
                refused.append((behaviour, cell, repaired(ctx, batch, cell)))
            else:
                ctx.coverage.settle(cell.name, CellOutcome.FAILED)
        prove_left_free(ctx, refused)


def prove_left_free(ctx: RunContext, refused: list[tuple[str, Cell, list[dict[str, Any]]]]) -> None:
    """Create the refused batches' links again: all at once, one batch per cell if that fails."""
    limit = ctx.settings.max_batch
    group: list[tuple[str, Cell, list[dict[str, Any]]]] = []
    for entry in [*refused, None]:
        if entry is not None and sum(len(items) for *_, items in group) + len(entry[2]) <= limit:
            group.append(entry)
            continue
        if group:
            retry_group(ctx, group)
        group = [entry] if entry is not None else []


def retry_group(ctx: RunContext, group: list[tuple[str, Cell, list[dict[str, Any]]]]) -> None:
    """Create a group's links in one request; on any problem, retry each cell alone."""
    items = [item for *_, batch in group for item in batch]
    exchange = ctx.post(items)
    if not expectations.created_problems(items, exchange.received, ctx.strict):
        ctx.expect_created(group[0][0], exchange, items)
        for behaviour, cell, _ in group:
            ctx.verdict.passed(behaviour)
            ctx.coverage.settle(cell.name, CellOutcome.REJECTED_OK)
        return
    for behaviour, cell, batch in group:
        why = f"201: the batch refused for {cell.name} left its externalIds free (decision 4)"
        fresh = [{**item, "url": ctx.link()["url"]} for item in batch]
        created = ctx.expect_created(behaviour, ctx.post(fresh), fresh, why)
        outcome = CellOutcome.REJECTED_OK if created is not None else CellOutcome.FAILED
        ctx.coverage.settle(cell.name, outcome)


@checks(
    ACCEPTED,
    "every field at the valid edge of each of its rules is created and echoed unchanged",
    "Request Body; decisions 5, 9, 10, 15",
)
def check_accepted(ctx: RunContext) -> None:
    """Every accept cell's link is created, one batch at a time, and echoed unchanged."""
    chosen = [c for c in cells() if not c.reject and unlocked(ctx, c)]
    for cell in cells():
        if not cell.reject:
            ctx.coverage.plan(cell.name)
    with ctx.checking(ACCEPTED):
        step = ctx.settings.max_batch
        for start in range(0, len(chosen), step):
            accept_group(ctx, chosen[start : start + step])


def accept_group(ctx: RunContext, group: list[Cell]) -> None:
    """Create one link per cell in one request, or one request per cell if that is refused."""
    items = [item_for(ctx, cell) for cell in group]
    exchange = ctx.post(items)
    links = exchange.received.json() if exchange.received.status == 201 else None
    if isinstance(links, list) and len(links) == len(items):
        ctx.expect_created("create.response-body", exchange, items)
        for cell, item, link in zip(group, items, links, strict=True):
            problems = (
                expectations.link_problems(item, link)
                if isinstance(link, dict)
                else [f"link {link!r} is not an object"]
            )
            settle_accepted(ctx, cell, exchange, problems)
        return
    for cell, item in zip(group, items, strict=True):
        alone = {**item, "url": ctx.link()["url"], "externalId": ctx.fresh("mx")}
        single = ctx.post([alone])
        problems = expectations.created_problems([alone], single.received, ctx.strict)
        settle_accepted(ctx, cell, single, problems)


def settle_accepted(ctx: RunContext, cell: Cell, exchange: Any, problems: list[str]) -> None:
    """Record one accept cell's outcome under matrix.accepted."""
    why = f"201 for {cell.name} = {cell.value!r}, echoed unchanged"
    shown = [f"{cell.name}: {p}" for p in problems]
    ok = ctx.record(ACCEPTED, exchange, shown, why)
    if cell.feature is not None:
        ctx.record(PLAN, exchange, shown, f"{why}, on a plan with {cell.feature}")
    ctx.coverage.settle(cell.name, CellOutcome.ACCEPTED_OK if ok else CellOutcome.FAILED)


CHECKS = (check_rejected, check_accepted)
