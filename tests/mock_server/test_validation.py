"""Properties over the spec's schema: valid batches are created as sent, invalid create nothing."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import httpx
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openapi
from mock_server.errors import RejectedRequestError
from mock_server.validation import RequestSchema, check_content_type, parse_json
from tests.mock_server.conftest import FULL, LiveMock, failure

pytestmark = pytest.mark.slow

REQUEST = jsonschema_rs.validator_for(openapi.request_schema(), validate_formats=True)
CREATED = jsonschema_rs.validator_for(openapi.response_schema(201), validate_formats=True)
FIELDS = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
COLLECTIONS = ["550e8400-e29b-41d4-a716-446655440000", "7c9e6679-7425-40de-944b-e07fc1f90ae7"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def max_length(name: str) -> int:
    """Return the spec's maxLength of a string field."""
    schema = FIELDS[name]
    for part in [schema, *schema.get("allOf", [])]:
        if "maxLength" in part:
            return int(part["maxLength"])
    raise LookupError(name)


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
path_chars = st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=:@/", "%20", "%C3%A9"])
urls = st.builds(
    lambda scheme, labels, port, path, query: f"{scheme}://{'.'.join(labels)}{port}{path}{query}",
    st.sampled_from(["http", "https"]),
    st.lists(label, min_size=1, max_size=3),
    st.sampled_from(["", ":8080", ":1"]),
    st.lists(path_chars, max_size=12).map(lambda parts: "/" + "".join(parts) if parts else ""),
    st.sampled_from(["", "?a=1&b=two", "#top"]),
)
uuids = st.uuids().map(str) | st.uuids().map(lambda value: str(value).upper())
date_times = st.datetimes(timezones=st.just(datetime.UTC)).map(lambda d: d.isoformat())


def text(name: str) -> st.SearchStrategy[str]:
    """Return any text up to the field's maxLength (surrogates excluded: JSON cannot carry them)."""
    return st.text(max_size=min(max_length(name), 40)) | st.just("x" * max_length(name))


OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "title": text("title"),
    "description": text("description"),
    "image": urls,
    "utm": st.fixed_dictionaries(
        {}, optional={key: st.text(max_size=20) for key in FIELDS["utm"]["properties"]}
    ),
    "expiresAt": date_times,
    "expiredUrl": urls,
    "password": text("password"),
    "cloaked": st.booleans(),
    "ios": urls,
    "android": urls,
    "geo": st.dictionaries(st.from_regex(r"[A-Z]{2}", fullmatch=True), urls, max_size=4),
    "externalId": st.just("fresh"),
    "tenantId": text("tenantId"),
    "partnerId": uuids,
}
assert set(OPTIONAL) | {"url", "collectionId"} == set(FIELDS), (
    "the strategy must cover every documented field"
)

unknown_fields = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda name: name not in FIELDS),
    st.none() | st.integers() | st.text(max_size=5) | st.lists(st.booleans(), max_size=2),
    max_size=2,
)
items = st.builds(
    lambda documented, extra: {**extra, **documented},
    st.fixed_dictionaries(
        {"url": urls, "collectionId": st.sampled_from(COLLECTIONS)}, optional=OPTIONAL
    ),
    unknown_fields,
)


def with_fresh_external_ids(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every item that has an externalId a never-used one."""
    return [
        {**item, "externalId": f"p-{uuid.uuid4()}"} if "externalId" in item else item
        for item in batch
    ]


valid_batches = st.lists(items, min_size=1, max_size=8).map(with_fresh_external_ids)


@given(batch=valid_batches)
@SETTINGS
def test_every_valid_batch_is_created_as_sent(mock: LiveMock, batch: list[dict[str, Any]]) -> None:
    assert REQUEST.is_valid(batch), f"the strategy produced a schema-invalid batch: {batch}"
    with mock.client() as client:
        response = client.post("/api/links", headers=FULL, json=batch)
    assert response.status_code == 201, failure("a schema-valid batch was refused", response, "201")
    created = response.json()
    assert CREATED.is_valid(created), created
    assert len(created) == len(batch)
    for sent, link in zip(batch, created, strict=True):
        assert {name: link.get(name) for name in sent if name in FIELDS} == {
            name: value for name, value in sent.items() if name in FIELDS
        }
        assert set(link) - set(FIELDS) == {"id", "shortUrl", "qrCode", "createdAt"}


def mutations(item: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Return ways of breaking one valid item so the schema refuses it."""
    wrong_values = st.none() | st.integers() | st.booleans() | st.just({"a": 1}) | st.just([1])
    broken_urls = st.sampled_from(
        [
            "invalid-url",
            "ftp://example.com",
            "http://",
            "https://exa mple.com",
            "https://example.com/é",
            "https://example.com/%zz",
            "//example.com",
        ]
    )
    return st.one_of(
        st.sampled_from(["url", "collectionId"]).map(
            lambda name: {k: v for k, v in item.items() if k != name}
        ),
        st.tuples(st.sampled_from(sorted(FIELDS)), wrong_values).map(
            lambda pair: {**item, pair[0]: pair[1]}
        ),
        st.tuples(
            st.sampled_from(["url", "image", "ios", "android", "expiredUrl"]), broken_urls
        ).map(lambda pair: {**item, pair[0]: pair[1]}),
        st.sampled_from(["title", "description", "password", "externalId", "tenantId"]).map(
            lambda name: {**item, name: "x" * (max_length(name) + 1)}
        ),
        st.sampled_from(["collectionId", "partnerId"]).map(
            lambda name: {**item, name: "550e8400-e29b-41d4"}
        ),
        st.just({**item, "utm": {"source": "a", "other": "b"}}),
        st.just({**item, "geo": {"sa": "https://example.com"}}),
        st.just({**item, "expiresAt": "31/12/2026"}),
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def invalid_batches(draw: st.DrawFn) -> Any:
    """Draw a body the schema refuses: a valid batch with one broken item, or any other JSON."""
    if draw(st.booleans()):
        batch = draw(valid_batches)
        index = draw(st.integers(0, len(batch) - 1))
        batch[index] = draw(mutations(batch[index]))
        return batch
    return draw(json_values.filter(lambda value: not REQUEST.is_valid(value)))


@given(body=invalid_batches())
@SETTINGS
def test_every_invalid_body_gets_400_and_creates_nothing(mock: LiveMock, body: Any) -> None:
    assert not REQUEST.is_valid(body)
    before = mock.count()
    with mock.client() as client:
        response = client.post("/api/links", headers=FULL, json=body)
    assert response.status_code == 400, failure("a schema-invalid body", response, "400")
    answer = response.json()
    assert answer["error"] == {"en": "Invalid request", "ar": "طلب غير صالح"}
    assert answer["issues"], answer
    assert mock.count() == before


def test_request_schema_names_path_and_rule() -> None:
    with pytest.raises(RejectedRequestError) as caught:
        RequestSchema().check(
            [{"url": "https://example.com", "collectionId": "x", "geo": {"SA": 1}}]
        )
    found = {(issue.path, issue.rule) for issue in caught.value.issues}
    assert ("$[0].collectionId", "pattern") in found
    assert ("$[0].geo.SA", "type") in found


def test_parse_json_and_content_type_errors() -> None:
    with pytest.raises(RejectedRequestError, match="not JSON"):
        parse_json(b"{")
    with pytest.raises(RejectedRequestError, match="empty"):
        parse_json(b" ")
    with pytest.raises(RejectedRequestError, match="Content-Type is missing"):
        check_content_type(None)
    check_content_type("application/json; charset=utf-8")


def test_body_of_valid_batch_survives_http_round_trip(mock: LiveMock) -> None:
    # Non-ASCII text, escapes and the empty string come back exactly as sent.
    sent = [
        {
            "url": "https://example.com",
            "collectionId": COLLECTIONS[0],
            "title": 'مرحبا "x" \\ \u2028',
            "password": "",
        }
    ]
    with httpx.Client(base_url=mock.base_url) as client:
        (created,) = client.post("/api/links", headers=FULL, json=sent).json()
    assert (created["title"], created["password"]) == (sent[0]["title"], "")
