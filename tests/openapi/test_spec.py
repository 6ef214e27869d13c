"""The spec says everything the documentation says, and every decision where it is silent."""

from __future__ import annotations

from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from openapi_spec_validator import validate

import openapi

DOC_COLLECTION = "550e8400-e29b-41d4-a716-446655440000"

# The documentation's request-body table: field -> (JSON type, format or None).
DOCUMENTED_FIELDS: dict[str, tuple[str, str | None]] = {
    "url": ("string", "uri"),
    "collectionId": ("string", "uuid"),
    "title": ("string", None),
    "description": ("string", None),
    "image": ("string", "uri"),
    "utm": ("object", None),
    "expiresAt": ("string", "date-time"),
    "expiredUrl": ("string", "uri"),
    "password": ("string", None),
    "cloaked": ("boolean", None),
    "ios": ("string", "uri"),
    "android": ("string", "uri"),
    "geo": ("object", None),
    "externalId": ("string", None),
    "tenantId": ("string", None),
    "partnerId": ("string", "uuid"),
}
UTM_KEYS = {"source", "medium", "campaign", "term", "content", "referral"}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """Merge a property schema's allOf parts into one mapping of keywords."""
    merged: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        merged.update(_flatten(part))
    merged.update({k: v for k, v in schema.items() if k != "allOf"})
    return merged


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_spec_is_valid_openapi_3_1() -> None:
    spec = openapi.load_spec()
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_security_is_bearer_with_links_write_explained() -> None:
    spec = openapi.load_spec()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "linksWrite" in scheme["description"]
    assert openapi.operation()["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize(("field", "expected"), DOCUMENTED_FIELDS.items())
def test_every_documented_field_has_its_type_and_format(
    field: str, expected: tuple[str, str | None]
) -> None:
    fields = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
    keywords = _flatten(fields[field])
    assert (keywords["type"], keywords.get("format")) == expected


def test_url_and_collection_id_are_required() -> None:
    item = openapi.request_schema()["items"]
    assert set(item["required"]) == {"url", "collectionId"}


def test_body_is_an_array_of_one_to_ten_thousand() -> None:
    body = openapi.request_schema()
    assert (body["minItems"], body["maxItems"]) == (1, 10_000)


def test_utm_has_exactly_the_documented_keys() -> None:
    utm = openapi.schema_at("#/components/schemas/Utm")
    assert set(utm["properties"]) == UTM_KEYS
    assert all(prop["type"] == "string" for prop in utm["properties"].values())


def test_geo_keys_are_uppercase_country_codes_and_values_urls() -> None:
    geo = openapi.schema_at("#/components/schemas/Geo")
    assert geo["propertyNames"]["pattern"] == "^[A-Z]{2}$"
    assert geo["additionalProperties"]["format"] == "uri"


def test_every_documented_status_has_a_json_schema() -> None:
    responses = openapi.operation()["responses"]
    assert sorted(int(code) for code in responses) == list(openapi.STATUS_CODES)
    for code in openapi.STATUS_CODES:
        assert openapi.response_schema(code)


def test_created_link_requires_the_generated_fields() -> None:
    link = openapi.response_schema(201)["items"]
    required = {name for part in link["allOf"] for name in part.get("required", [])}
    assert required == {"id", "url", "shortUrl", "qrCode", "createdAt"}


@pytest.mark.parametrize("status", [400, 401, 403, 429])
def test_error_bodies_require_both_languages(status: int) -> None:
    validator = _validator(openapi.response_schema(status))
    en, ar = openapi.error_texts(status)
    extra = {403: {"missingScopes": ["linksWrite"]}, 429: {"retryAfter": 60}}.get(status, {})
    assert validator.is_valid({"error": {"en": en, "ar": ar}, **extra, "detail": "free"})
    assert not validator.is_valid({"error": {"en": en}, **extra})
    assert not validator.is_valid({"error": {"en": "Something else", "ar": ar}, **extra})


def test_403_and_429_carry_their_extra_fields() -> None:
    texts = openapi.error_texts(403)
    assert not _validator(openapi.response_schema(403)).is_valid(
        {"error": dict(zip(("en", "ar"), texts, strict=True))}
    )
    texts = openapi.error_texts(429)
    assert not _validator(openapi.response_schema(429)).is_valid(
        {"error": dict(zip(("en", "ar"), texts, strict=True)), "retryAfter": "60"}
    )


def test_rate_limit_headers_required_on_429_and_described_elsewhere() -> None:
    responses = openapi.load_spec()["paths"][openapi.LINKS_PATH]["post"]["responses"]
    headers = openapi.load_spec()["components"]["headers"]
    for code, response in responses.items():
        for name in RATE_LIMIT_HEADERS:
            target = headers[response["headers"][name]["$ref"].rsplit("/", 1)[1]]
            assert target["schema"]["type"] == "integer"
            assert target.get("required", False) is (code == "429")
    retry_after = headers[responses["429"]["headers"]["Retry-After"]["$ref"].rsplit("/", 1)[1]]
    assert retry_after["schema"]["type"] == "integer"
    assert not retry_after.get("required", False)


def test_every_response_example_validates_against_its_schema() -> None:
    for code in openapi.STATUS_CODES:
        examples = openapi.response_examples(code)
        assert examples, f"no example for {code}"
        validator = jsonschema_rs.validator_for(
            openapi.response_schema(code), validate_formats=True
        )
        for name, value in examples.items():
            assert validator.is_valid(value), f"{code} example {name!r} is invalid"


def test_documented_request_examples_are_valid() -> None:
    validator = _validator(openapi.request_schema())
    examples = openapi.request_examples()
    assert set(examples) == {"documentedWithPlanFeatures", "documentedWithMetadata"}
    for name, value in examples.items():
        assert validator.is_valid(value), name


def test_each_status_has_a_replayable_request_that_behaves_as_documented() -> None:
    validator = _validator(openapi.request_schema())
    replays = openapi.replayable_requests()
    assert {replay["status"] for replay in replays.values()} == set(openapi.STATUS_CODES)
    for name, replay in replays.items():
        if "body" in replay:
            valid = validator.is_valid(replay["body"])
            assert valid is (replay["status"] == 201), name


def test_documented_400_is_invalid_twice_and_invalid_url_only_once() -> None:
    validator = _validator(openapi.request_schema())
    replays = openapi.replayable_requests()

    def faults(name: str) -> set[tuple[str, str]]:
        body = replays[name]["body"]
        return {(str(error.validator), error.json_path) for error in validator.iter_errors(body)}

    assert faults("documentedInvalid") == {("pattern", "$[0].url"), ("required", "$[0]")}
    assert faults("invalidUrl") == {("pattern", "$[0].url")}


def test_documented_example_values_are_verbatim() -> None:
    created = openapi.response_examples(201)["documentedWithPlanFeatures"][0]
    assert created["shortUrl"] == "https://hoko.to/abc123"
    assert created["qrCode"] == (
        "https://hoko.to/qrcode?text=https%3A%2F%2Fhoko.to%2Fabc123%3Fqr%3D1&size=512"
        "&errorCorrection=H&foreground=000000&background=FFFFFF&margin=1&format=svg"
    )
    assert created["geo"] == {"SA": "https://example.com/sa"}
    assert openapi.response_examples(429)["rateLimitExceeded"]["retryAfter"] == 60
    assert openapi.response_examples(403)["missingScopes"]["missingScopes"] == ["linksWrite"]
    sent = openapi.request_examples()["documentedWithPlanFeatures"][0]
    assert sent["collectionId"] == DOC_COLLECTION
    assert sent["expiresAt"] == "2026-12-31T23:59:00Z"


@pytest.mark.parametrize(
    "phrase",
    [
        "401 (no Authorization header",
        "-> 403",
        "-> 429",
        "-> 400",
        "not JSON, not an array, an empty array",
        "more than the key's plan allows per request",
        "`null` for any field",
        "an unknown `collectionId`",
        "repeated within the batch",
        "plan-gated field",
        "Unknown properties",
        "Atomic creation",
        "An array in request order",
        "percent-encode(shortUrl + `?qr=1`)",
        "Error texts",
        "Unix epoch second",
        "An `expiresAt` in the past is accepted",
        "refuse a body over its own size cap",
        "another Content-Type, or none, may be refused",
        "Nesting deeper than 512 levels",
    ],
)
def test_every_decision_is_visible_in_the_rendered_spec(phrase: str) -> None:
    description = " ".join(openapi.load_spec()["info"]["description"].split())
    assert phrase in description
