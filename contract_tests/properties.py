"""Hypothesis properties beyond the schema: whole batches created, or rejected whole."""

from __future__ import annotations

import datetime
from typing import Any

import hypothesis
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.behaviours import checks
from contract_tests.context import RunContext
from contract_tests.fuzzing import derived_seed

# Every character but lone surrogates, which JSON in UTF-8 cannot carry.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
URLS = st.builds(
    "{}://{}.{}{}{}".format,
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["com", "org", "sa", "co.uk"]),
    st.lists(st.text(SAFE, min_size=1, max_size=10).map("/{}".format), max_size=3).map("".join),
    st.one_of(st.just(""), st.text(SAFE, max_size=8).map("?q={}%20x".format)),
)
DATES = st.datetimes(
    min_value=datetime.datetime(2030, 1, 1),
    max_value=datetime.datetime(2099, 12, 31),
).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def strategy_for(field: str, kind: str) -> st.SearchStrategy[Any]:
    """Return the values drawn for one field, by what the spec says it holds."""
    if kind == "record":
        keys = rules.record_keys(field)
        return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, TEXT))
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "url": URLS,
        "uuid": st.uuids().map(str),
        "date-time": DATES,
        "text": TEXT,
        "boolean": st.booleans(),
        "map": st.dictionaries(st.sampled_from(rules.COUNTRY_CODES), URLS, max_size=3),
    }
    return by_kind[kind]


OPTIONAL_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    name: strategy_for(name, rules.kind_of(schema))
    for name, schema in rules.link_field_schemas().items()
    if name not in rules.required_fields() and name != rules.EXTERNAL_ID_FIELD
}
ITEMS = st.fixed_dictionaries(
    {"url": URLS, "withExternalId": st.booleans()}, optional=OPTIONAL_FIELDS
)
SPOILERS: tuple[dict[str, Any], ...] = (
    {"url": "invalid-url"},
    {"url": None},
    {"collectionId": "not-a-uuid"},
    {"title": 17},
    {"cloaked": "true"},
    {"geo": {"xx": "https://example.com"}},
    {"expiresAt": "31/12/2030"},
)


def settle(ctx: RunContext, drawn: dict[str, Any]) -> dict[str, Any]:
    """Turn a drawn item into a link of this run: the collection, a fresh externalId if drawn."""
    item = ctx.unlocked({key: value for key, value in drawn.items() if key != "withExternalId"})
    item["collectionId"] = ctx.settings.collection_id
    if drawn["withExternalId"]:
        item["externalId"] = ctx.fresh("hy")
    return item


def _settings(ctx: RunContext, examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@checks(
    "properties.created",
    "generated batches are created: count, order, echo, derivation, uniqueness",
    "Status Codes > 201; decisions 4, 5",
)
def check_created(ctx: RunContext) -> None:
    """Any valid batch is created: count, order, echoes, derivation and uniqueness hold."""

    @hypothesis.seed(derived_seed(ctx.settings.seed, "properties.created"))
    @_settings(ctx, ctx.settings.max_examples)
    @hypothesis.given(st.lists(ITEMS, min_size=1, max_size=min(6, ctx.settings.max_batch)))
    def created(drawn: list[dict[str, Any]]) -> None:
        with ctx.checking("properties.created"):
            items = [settle(ctx, item) for item in drawn]
            ctx.expect_created("properties.created", ctx.post(items), items)

    created()


@checks(
    "properties.rejected",
    "generated batches with one bad item are rejected whole, externalIds left free",
    "Status Codes > 400; decisions 2, 4",
)
def check_rejected(ctx: RunContext) -> None:
    """A valid batch spoiled by one bad item is rejected whole and leaves its externalIds free."""

    @hypothesis.seed(derived_seed(ctx.settings.seed, "properties.rejected"))
    @_settings(ctx, max(3, ctx.settings.max_examples // 2))
    @hypothesis.given(
        st.lists(ITEMS, min_size=1, max_size=min(4, ctx.settings.max_batch - 1) or 1),
        st.sampled_from(SPOILERS),
        st.integers(min_value=0, max_value=4),
    )
    def rejected(drawn: list[dict[str, Any]], spoiler: dict[str, Any], position: int) -> None:
        with ctx.checking("properties.rejected"):
            items = [settle(ctx, {**item, "withExternalId": True}) for item in drawn]
            bad = {**settle(ctx, {"url": "https://example.com", "withExternalId": True}), **spoiler}
            batch = [*items[:position], bad, *items[position:]]
            if ctx.expect_error(
                "properties.rejected", ctx.post(batch), 400, f"an item with {spoiler}"
            ):
                retry = [{**item, "url": ctx.link()["url"]} for item in items]
                why = "201: the rejected batch left its externalIds free (decision 4)"
                ctx.expect_created("properties.rejected", ctx.post(retry), retry, why)

    rejected()


CHECKS = (check_created, check_rejected)
