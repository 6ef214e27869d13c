"""Configuration: defaults, TOML, env vars, options in order; errors name key and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mock_server.config import build, from_env, read_toml
from mock_server.errors import ConfigError


def test_defaults_are_the_documented_ones() -> None:
    config = build()
    assert (config.host, config.port, config.rate_limit, config.rate_window) == (
        "127.0.0.1",
        8000,
        600,
        60,
    )
    assert {key.secret: (sorted(key.scopes), key.plan.name) for key in config.keys} == {
        "hoko_test_full": (["linksRead", "linksWrite"], "pro"),
        "hoko_test_noscope": (["linksRead"], "pro"),
        "hoko_test_basic": (["linksWrite"], "basic"),
    }
    assert config.plans["pro"].links_per_request == 10_000
    assert config.plans["basic"].links_per_request == 5
    assert config.plans["basic"].features == frozenset()
    assert config.collections == (
        "550e8400-e29b-41d4-a716-446655440000",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    )
    assert config.short_url_base == "https://hoko.to"
    assert config.state is None


def test_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mock.toml"
    path.write_text(
        """
port = 9000
rate-limit = 10
collections = ["11111111-1111-4111-8111-111111111111"]
[plans.gold]
features = ["password"]
links-per-request = 50
links-total = 1000
[keys.my_key]
scopes = ["linksWrite"]
plan = "gold"
""",
        encoding="utf-8",
    )
    config = build((str(path), read_toml(str(path))))
    assert (config.port, config.rate_limit) == (9000, 10)
    (key,) = config.keys
    assert (key.secret, key.plan.name, key.plan.links_total) == ("my_key", "gold", 1000)
    assert key.plan.gated_fields == frozenset(
        {"expiresAt", "expiredUrl", "cloaked", "ios", "android", "geo"}
    )


def test_later_layers_win() -> None:
    config = build(
        ("file", {"port": 1, "rate-limit": 5}),
        ("HOKO_MOCK_PORT", {"port": "2"}),
        ("--port", {"port": "3"}),
    )
    assert (config.port, config.rate_limit) == (3, 5)


def test_env_vars_are_read() -> None:
    layers = from_env(
        {
            "HOKO_MOCK_RATE_LIMIT": "7",
            "HOKO_MOCK_CORS_ORIGIN": "http://a:1,http://b:2",
            "OTHER": "x",
        }
    )
    config = build(*layers)
    assert config.rate_limit == 7
    assert config.cors_origins == ("http://a:1", "http://b:2")


BAD = [
    ({"rate-limit": 0}, "rate-limit", "positive whole number"),
    ({"rate-limit": "ten"}, "rate-limit", "must be a number"),
    ({"rate-window": -1}, "rate-window", "above 0"),
    ({"port": 70000}, "port", "0 to 65535"),
    ({"latency": -5}, "latency", "at least 0"),
    ({"short-url-base": "ftp://x"}, "short-url-base", "http(s) URL"),
    ({"cors-origins": ["localhost"]}, "cors-origins", "is not an origin"),
    ({"colections": []}, "colections", "unknown setting"),
    ({"collections": ["not-a-uuid"]}, "collections", "not a hyphenated UUID"),
    ({"collections": []}, "collections", "non-empty list"),
    (
        {"plans": {"x": {"links-per-request": 5, "features": ["teleport"]}}},
        "plans.x.features",
        "unknown feature",
    ),
    ({"plans": {"x": {"features": []}}}, "plans.x.links-per-request", "is required"),
    ({"plans": {"x": {"links-per-request": 20000}}}, "plans.x.links-per-request", "at most 10000"),
    ({"plans": {"x": {"links-per-request": 5, "colour": 1}}}, "plans.x.colour", "unknown setting"),
    (
        {"keys": {"k": {"scopes": ["linksWrite"], "plan": "gold"}}},
        "keys.k.plan",
        "unknown plan 'gold'",
    ),
    ({"keys": {"k": {"scopes": "linksWrite", "plan": "pro"}}}, "keys.k.scopes", "list of strings"),
    ({"keys": {"a key": {"scopes": [], "plan": "pro"}}}, "keys.a key", "printable ASCII"),
    ({"keys": {}}, "keys", "non-empty table"),
]


@pytest.mark.parametrize(("raw", "key", "problem"), BAD)
def test_bad_value_names_the_key_and_the_problem(
    raw: dict[str, Any], key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(("mock.toml", raw))
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{key}: ")
    assert "(from mock.toml)" in str(caught.value)


def test_unreadable_or_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_toml(str(tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(str(broken))
