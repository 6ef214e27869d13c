"""The one loader: finds, parses and slices the spec without ever handing out shared state."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import openapi


def test_spec_path_points_at_the_packaged_file() -> None:
    path = Path(openapi.spec_path())
    assert path.name == "openapi.yaml"
    assert path.parent == Path(openapi.__file__).parent
    assert path.read_text(encoding="utf-8") == openapi.spec_text()


def test_load_spec_returns_a_private_copy() -> None:
    first = openapi.load_spec()
    first["info"]["title"] = "changed"
    first["paths"].clear()
    second = openapi.load_spec()
    assert second["info"]["title"] != "changed"
    assert openapi.LINKS_PATH in second["paths"]


def test_spec_json_is_the_same_document_as_the_yaml() -> None:
    import json

    assert json.loads(openapi.spec_json()) == yaml.safe_load(openapi.spec_text())


def test_schema_at_inlines_every_ref() -> None:
    schema = openapi.request_schema()
    assert "$ref" not in repr(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "array"


def test_ref_with_siblings_keeps_both() -> None:
    # `url: {$ref: HttpUrl, description: ...}` must keep HttpUrl's pattern and the description.
    fields = openapi.schema_at("#/components/schemas/LinkFields")
    url = fields["properties"]["url"]
    assert url["allOf"][0]["pattern"].startswith("^https?://")
    assert "redirect" in url["description"]


def test_unknown_pointer_names_the_missing_part() -> None:
    with pytest.raises(openapi.SpecPointerError) as caught:
        openapi.schema_at("#/components/schemas/NoSuchThing")
    assert caught.value.missing == "NoSuchThing"
    assert "NoSuchThing" in str(caught.value)
    assert isinstance(caught.value, openapi.SpecError)


def test_pointer_must_be_local() -> None:
    with pytest.raises(openapi.SpecPointerError):
        openapi.schema_at("components/schemas/Link")


def test_examples_are_private_copies() -> None:
    examples = openapi.request_examples()
    examples["documentedWithMetadata"].clear()
    assert openapi.request_examples()["documentedWithMetadata"]


def test_error_texts_are_the_documented_ones() -> None:
    assert openapi.error_texts(400) == ("Invalid request", "طلب غير صالح")
    assert openapi.error_texts(401) == ("Invalid API key", "مفتاح API غير صالح")
    assert openapi.error_texts(403) == ("Missing required scopes", "الصلاحيات المطلوبة مفقودة")
    assert openapi.error_texts(429) == ("Rate limit exceeded", "تم تجاوز حد المعدل")


def test_required_scopes() -> None:
    assert openapi.required_scopes() == ["linksWrite"]
