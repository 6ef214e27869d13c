"""The coverage matrix's cells, derived from the spec at run time: every field x every rule.

Each cell is one rule on one field of a link, read from the spec through the loader: its type,
its format (a URL under decision 10, a UUID, an RFC 3339 date-time under decision 15), its
pattern, its length bound, ``null`` (decision 2), whether it is required, each utm key and the
geo keys and values, and the plan feature it needs (decision 16). A *reject* cell carries a
value that breaks exactly that rule; an *accept* cell a value at that rule's valid edge.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import openapi

LINK_FIELDS = "#/components/schemas/LinkFields"
LINK_INPUT = "#/components/schemas/LinkInput"
URL_SCHEMA = "#/components/schemas/HttpUrl"
PLAN_FEATURE = "x-plan-feature"
# The two fields whose rules go beyond their schema: the collection must exist, the id be unused.
COLLECTION_FIELD = "collectionId"
EXTERNAL_ID_FIELD = "externalId"

# Decision 10's URL faults that every conforming server refuses.
URL_FAULTS = {
    "url-scheme": "ftp://example.com/file",
    "url-host": "http://",
    "url-relative": "/relative/path",
    "url-whitespace": "https://exa mple.com/",
    "url-control": "https://example.com/\u0007",
}
# Valid URLs at the edges of RFC 3986 that every conforming server takes as they are.
URL_EDGES = {
    "url-port": "https://example.com:8443/path",
    "url-query": "https://example.com/path?a=1&b=two",
    "url-fragment": "https://example.com/path#section-2",
    "url-percent": "https://example.com/caf%C3%A9/a%20b",
    "url-ipv4": "http://192.0.2.10/x",
    "url-upper-host": "https://EXAMPLE.COM/Path",
}
UUID_EDGES = {
    "uuid-lower": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "uuid-upper": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
}
UUID_FAULTS = {"uuid-format": "not-a-uuid", "uuid-short": "3f2504e0-4f89-41d3-9a0c"}
DATE_TIME_EDGES = {
    "date-time-plus-offset": "2031-03-04T05:06:07+03:00",
    "date-time-minus-offset": "2031-03-04T05:06:07-05:30",
    "date-time-fraction": "2031-03-04T05:06:07.123456Z",
}
DATE_TIME_FAULTS = {"date-time-format": "31/12/2030", "date-time-range": "2030-13-40T25:61:00Z"}
# Decision 15: an offset-less date-time is refused by this contract, accepted by some servers.
FREE_DATE_TIME_FAULTS = {"date-time-no-offset": "2031-03-04T05:06:07"}
# Assigned ISO 3166-1 alpha-2 codes: a server may refuse an unassigned one (the spec says free).
COUNTRY_CODES = (
    "SA", "AE", "EG", "US", "GB", "FR", "DE", "JP", "BR", "IN", "NG", "KW", "QA", "BH", "OM",
    "JO", "MA", "TN", "DZ", "TR", "IT", "ES", "PT", "NL", "BE", "CH", "AT", "SE", "NO", "DK",
    "FI", "PL", "CA", "MX", "AR", "CL", "AU", "NZ", "CN", "KR", "SG", "MY", "ID", "PH", "ZA",
)  # fmt: skip
WRONG_TYPE = {"string": 5, "boolean": "true", "object": "not-an-object", "integer": "1"}


@dataclass(frozen=True)
class Cell:
    """One rule on one field: the value that breaks it (reject) or sits at its edge (accept)."""

    field: str
    rule: str
    reject: bool
    value: Any = None
    omit: bool = False
    free: bool = False
    feature: str | None = None

    @property
    def name(self) -> str:
        """Return ``field x rule``, as the report shows it."""
        return f"{self.field} x {self.rule}"


def flattened(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``schema`` with its ``allOf`` parts merged in (the loader inlines $refs that way)."""
    merged: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        merged.update(flattened(part))
    merged.update({key: value for key, value in schema.items() if key != "allOf"})
    return merged


@functools.cache
def link_field_schemas() -> dict[str, dict[str, Any]]:
    """Return each link field's flattened schema, from the spec."""
    fields = openapi.schema_at(LINK_FIELDS)["properties"]
    return {name: flattened(schema) for name, schema in fields.items()}


@functools.cache
def required_fields() -> frozenset[str]:
    """Return the fields a link must carry."""
    return frozenset(openapi.schema_at(LINK_INPUT)["required"])


@functools.cache
def plan_features() -> dict[str, str]:
    """Return each plan-gated field and the feature it needs (decision 16)."""
    return {
        name: schema[PLAN_FEATURE]
        for name, schema in link_field_schemas().items()
        if PLAN_FEATURE in schema
    }


def all_features() -> frozenset[str]:
    """Return every plan feature the spec names."""
    return frozenset(plan_features().values())


def locked_fields(features: frozenset[str] | None) -> frozenset[str]:
    """Return the gated fields a plan with ``features`` (None: every feature) does not unlock."""
    if features is None:
        return frozenset()
    return frozenset(field for field, need in plan_features().items() if need not in features)


def is_url(schema: Mapping[str, Any]) -> bool:
    """Tell whether a schema is the spec's URL rule (decision 10)."""
    return bool(schema.get("pattern") == openapi.schema_at(URL_SCHEMA)["pattern"])


def kind_of(schema: Mapping[str, Any]) -> str:
    """Return what a field holds: url, uuid, date-time, text, boolean, map (geo) or record (utm)."""
    if is_url(schema):
        return "url"
    if schema.get("format") in ("uuid", "date-time"):
        return str(schema["format"])
    if schema.get("type") == "object":
        return "map" if "propertyNames" in schema else "record"
    return "text" if schema.get("type") == "string" else str(schema.get("type"))


def fields_of_kind(kind: str) -> tuple[str, ...]:
    """Return the link fields that hold ``kind``, in the spec's order."""
    return tuple(name for name, schema in link_field_schemas().items() if kind_of(schema) == kind)


def record_keys(field: str) -> tuple[str, ...]:
    """Return the keys an object field (utm) documents."""
    return tuple(link_field_schemas()[field].get("properties", {}))


def length_bound(schema: Mapping[str, Any]) -> int | None:
    """Return a schema's maxLength or maxProperties (decision 9), if it has one."""
    bound = schema.get("maxLength", schema.get("maxProperties"))
    return bound if isinstance(bound, int) else None


def padded_url(base: str, length: int) -> str:
    """Return ``base`` with a query padded to exactly ``length`` characters."""
    return (base + "?q=" + "x" * length)[:length]


def edge_text(length: int) -> str:
    """Return a string of exactly ``length`` characters, not all of them ASCII."""
    return ("é" + "x" * length)[:length]


def value_cells(field: str, schema: Mapping[str, Any], feature: str | None) -> Iterator[Cell]:
    """Yield the cells of a field holding one value: type, format or pattern, length."""
    kind = schema.get("type")
    if kind in WRONG_TYPE:
        yield Cell(field, "type", True, WRONG_TYPE[kind], feature=feature)
    yield Cell(field, "null", True, None, feature=feature)
    if is_url(schema):
        yield from (Cell(field, r, True, v, feature=feature) for r, v in URL_FAULTS.items())
        yield from (Cell(field, r, False, v, feature=feature) for r, v in URL_EDGES.items())
        bound = length_bound(schema)
        if bound is not None:
            value = padded_url(URL_EDGES["url-query"], bound)
            yield Cell(field, f"length-{bound}", False, value, feature=feature)
    elif schema.get("format") == "uuid":
        yield from (Cell(field, r, True, v, feature=feature) for r, v in UUID_FAULTS.items())
        yield from (Cell(field, r, False, v, feature=feature) for r, v in UUID_EDGES.items())
    elif schema.get("format") == "date-time":
        yield from (Cell(field, r, True, v, feature=feature) for r, v in DATE_TIME_FAULTS.items())
        yield from (
            Cell(field, r, True, v, free=True, feature=feature)
            for r, v in FREE_DATE_TIME_FAULTS.items()
        )
        yield from (Cell(field, r, False, v, feature=feature) for r, v in DATE_TIME_EDGES.items())
    elif kind == "string":
        yield Cell(field, "length-0", False, "", feature=feature)
        if isinstance(schema.get("maxLength"), int):
            bound = schema["maxLength"]
            yield Cell(field, f"length-{bound}", False, edge_text(bound), feature=feature)
    elif kind == "boolean":
        yield Cell(field, "true", False, True, feature=feature)
        yield Cell(field, "false", False, False, feature=feature)


def object_cells(field: str, schema: Mapping[str, Any], feature: str | None) -> Iterator[Cell]:
    """Yield the cells of an object field: its keys (utm) or its key pattern and values (geo)."""
    yield Cell(field, "type", True, WRONG_TYPE["object"], feature=feature)
    yield Cell(field, "null", True, None, feature=feature)
    for key, key_schema in schema.get("properties", {}).items():
        for cell in value_cells(key, flattened(key_schema), feature):
            value = {key: cell.value}
            yield Cell(
                field, f"{key}.{cell.rule}", cell.reject, value, free=cell.free, feature=feature
            )
    names = schema.get("propertyNames")
    if names is not None:
        yield Cell(field, "key-lowercase", True, {"sa": URL_EDGES["url-port"]}, feature=feature)
        yield Cell(field, "key-length", True, {"SAU": URL_EDGES["url-port"]}, feature=feature)
        values = flattened(schema.get("additionalProperties", {}))
        for cell in value_cells("value", values, feature):
            value = {"SA": cell.value}
            yield Cell(field, f"value.{cell.rule}", cell.reject, value, feature=feature)
        bound = schema.get("maxProperties", len(COUNTRY_CODES))
        many = {code: f"https://example.com/{code.lower()}" for code in COUNTRY_CODES[:bound]}
        yield Cell(field, f"{len(many)}-countries", False, many, feature=feature)


@functools.cache
def cells() -> tuple[Cell, ...]:
    """Return every cell of the matrix, in the spec's field order."""
    found: list[Cell] = []
    for field, schema in link_field_schemas().items():
        feature = plan_features().get(field)
        if field in required_fields():
            found.append(Cell(field, "required", True, omit=True))
        if schema.get("type") == "object":
            found += object_cells(field, schema, feature)
        else:
            found += value_cells(field, schema, feature)
    return tuple(found)
