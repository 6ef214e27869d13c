"""The coverage matrix comes from the spec: every field and rule, values that do as they say."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

import openapi
from contract_tests import fuzzing, rules
from contract_tests.rules import Cell

COLLECTION = "550e8400-e29b-41d4-a716-446655440000"


def batch_with(cell: Cell) -> list[dict[str, Any]]:
    item: dict[str, Any] = {"url": "https://example.com/a", "collectionId": COLLECTION}
    if cell.omit:
        del item[cell.field]
    else:
        item[cell.field] = cell.value
    return [item]


def test_every_link_field_has_cells() -> None:
    fields = set(openapi.schema_at("#/components/schemas/LinkFields")["properties"])
    assert {cell.field for cell in rules.cells()} == fields


def test_every_field_can_be_null_and_the_required_ones_omitted() -> None:
    nulls = {cell.field for cell in rules.cells() if cell.rule == "null"}
    assert nulls == set(rules.link_field_schemas())
    required = {cell.field for cell in rules.cells() if cell.rule == "required"}
    assert required == set(openapi.schema_at("#/components/schemas/LinkInput")["required"])


def test_every_url_field_and_every_geo_value_gets_every_url_fault_and_edge() -> None:
    url_fields = rules.fields_of_kind("url")
    assert "url" in url_fields
    assert len(url_fields) >= 5
    for field in url_fields:
        rules_seen = {cell.rule for cell in rules.cells() if cell.field == field}
        assert set(rules.URL_FAULTS) | set(rules.URL_EDGES) <= rules_seen, field
    geo = {cell.rule for cell in rules.cells() if cell.field == "geo"}
    assert {f"value.{rule}" for rule in rules.URL_FAULTS} <= geo


def test_every_utm_key_of_the_spec_gets_its_own_cells() -> None:
    keys = set(openapi.schema_at("#/components/schemas/Utm")["properties"])
    assert set(rules.record_keys("utm")) == keys
    for key in keys:
        utm = {cell.rule for cell in rules.cells() if cell.field == "utm"}
        assert {f"{key}.type", f"{key}.null", f"{key}.length-0"} <= utm


def test_plan_features_come_from_the_spec() -> None:
    features = rules.plan_features()
    assert features["geo"] == "geoTargeting"
    assert features["expiresAt"] == features["expiredUrl"]
    assert "url" not in features
    assert rules.locked_fields(frozenset()) == frozenset(features)
    assert rules.locked_fields(None) == frozenset()
    assert rules.locked_fields(rules.all_features()) == frozenset()


@pytest.mark.parametrize("cell", [c for c in rules.cells() if c.reject], ids=lambda c: c.name)
def test_a_reject_cell_is_invalid_for_every_conforming_server(cell: Cell) -> None:
    if cell.free:
        assert not fuzzing.judge(strict=True).is_valid(batch_with(cell))
    else:
        assert fuzzing.judges_invalid(batch_with(cell), strict=False)


@pytest.mark.parametrize("cell", [c for c in rules.cells() if not c.reject], ids=lambda c: c.name)
def test_an_accept_cell_is_valid_by_the_spec(cell: Cell) -> None:
    validator = jsonschema_rs.validator_for(openapi.request_schema(), validate_formats=True)
    assert validator.is_valid(batch_with(cell))


def test_the_offset_less_date_time_is_the_only_free_cell_kind() -> None:
    free = {cell.rule for cell in rules.cells() if cell.free}
    assert free == set(rules.FREE_DATE_TIME_FAULTS)
    spec = " ".join(openapi.load_spec()["info"]["description"].split())
    assert "A date-time without an offset" in spec
    assert "x-plan-feature" in spec


def test_strings_get_both_ends_of_their_length() -> None:
    title = {cell.rule: cell.value for cell in rules.cells() if cell.field == "title"}
    bound = openapi.schema_at("#/components/schemas/LinkFields")["properties"]["title"]["maxLength"]
    assert title["length-0"] == ""
    assert len(title[f"length-{bound}"]) == bound
