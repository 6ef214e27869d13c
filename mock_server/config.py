"""The mock's configuration: defaults, a TOML file, ``HOKO_MOCK_*`` env vars, CLI options."""

from __future__ import annotations

import re
import tomllib
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from mock_server.errors import ConfigError
from mock_server.plans import FEATURES, Plan

DEFAULT_COLLECTIONS: Final = (
    "550e8400-e29b-41d4-a716-446655440000",
    "7c9e6679-7425-40de-944b-e07fc1f90ae7",
)
DEFAULT_CORS_ORIGINS: Final = ("http://localhost:*", "http://127.0.0.1:*")
SCOPE_WRITE: Final = "linksWrite"
ENV_PREFIX: Final = "HOKO_MOCK_"
DEFAULT_COUNTRY_HEADERS: Final = ("CF-IPCountry", "X-Vercel-IP-Country")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A dev API key: its secret, its scopes and the plan of its workspace."""

    secret: str
    scopes: frozenset[str]
    plan: Plan

    def describe(self) -> dict[str, Any]:
        """Return the key as shown by ``/__mock/config`` and the startup banner."""
        return {"key": self.secret, "scopes": sorted(self.scopes), "plan": self.plan.name}


@dataclass(frozen=True, slots=True)
class MockConfig:
    """Everything the mock needs to run, validated."""

    host: str = "127.0.0.1"
    port: int = 8000
    keys: tuple[ApiKey, ...] = ()
    plans: Mapping[str, Plan] = field(default_factory=dict)
    collections: tuple[str, ...] = DEFAULT_COLLECTIONS
    rate_limit: int = 600
    rate_window: float = 60.0
    short_url_base: str = "https://hoko.to"
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    latency_ms: float = 0.0
    state: str | None = None
    state_prefix: str = "hoko-mock"
    workers: int = 1
    admin_token: str | None = None
    max_body_bytes: int | None = None
    journal_size: int = 1000
    # Resolving short links: where a visitor's country is read from, and the fallback.
    country_headers: tuple[str, ...] = DEFAULT_COUNTRY_HEADERS
    default_country: str | None = None
    # Random transport faults: the share of requests that get one, and the seed of the draw.
    fault_rate: float = 0.0
    fault_seed: int | None = None

    @property
    def base_url(self) -> str:
        """Return the URL clients reach the mock at."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def describe(self) -> dict[str, Any]:
        """Return the configuration in use as JSON, for ``/__mock/config``."""
        return {
            "baseUrl": self.base_url,
            "keys": [key.describe() for key in self.keys],
            "plans": {name: plan.describe() for name, plan in self.plans.items()},
            "collections": list(self.collections),
            "rateLimit": {"requests": self.rate_limit, "windowSeconds": self.rate_window},
            "shortUrlBase": self.short_url_base,
            "corsOrigins": list(self.cors_origins),
            "latencyMs": self.latency_ms,
            "state": shown_state(self.state),
            "statePrefix": self.state_prefix,
            "workers": self.workers,
            "adminTokenRequired": self.admin_token is not None,
            "countryHeaders": list(self.country_headers),
            "defaultCountry": self.default_country,
            "faultRate": self.fault_rate,
            "faultSeed": self.fault_seed,
        }


def default_raw() -> dict[str, Any]:
    """Return the built-in defaults in the TOML file's own shape."""
    return {
        "plans": {
            "pro": {"features": list(FEATURES), "links-per-request": 10_000},
            "basic": {"features": [], "links-per-request": 5},
        },
        "keys": {
            "hoko_test_full": {"scopes": ["linksWrite", "linksRead"], "plan": "pro"},
            "hoko_test_noscope": {"scopes": ["linksRead"], "plan": "pro"},
            "hoko_test_basic": {"scopes": ["linksWrite"], "plan": "basic"},
        },
        "collections": list(DEFAULT_COLLECTIONS),
    }


def _positive_int(key: str, value: Any) -> int:
    number = _number(key, value)
    if number != int(number) or number < 1:
        raise ConfigError(key, f"must be a positive whole number, got {value!r}")
    return int(number)


def _port(key: str, value: Any) -> int:
    number = _number(key, value)
    if number != int(number) or not 0 <= number <= 65535:
        raise ConfigError(key, f"must be a port number from 0 to 65535, got {value!r}")
    return int(number)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(key, f"must be a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ConfigError(key, f"must be a number, got {value!r}")


def _positive_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0 < number < float("inf"):
        raise ConfigError(key, f"must be a number above 0, got {value!r}")
    return number


def _non_negative_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0 <= number < float("inf"):
        raise ConfigError(key, f"must be a number of at least 0, got {value!r}")
    return number


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _short_url_base(key: str, value: Any) -> str:
    text = _text(key, value).rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", text):
        raise ConfigError(key, f"must be an http(s) URL such as https://hoko.to, got {value!r}")
    return text


def _texts(key: str, value: Any, what: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ConfigError(key, f"must be a list of {what}, got {value!r}")
    return tuple(_text(key, item) for item in items)


def _origins(key: str, value: Any) -> tuple[str, ...]:
    origins = _texts(key, value, "origins")
    for origin in origins:
        if origin != "*" and not re.fullmatch(
            r"https?://[A-Za-z0-9.*-]+(:([0-9]{1,5}|\*))?", origin
        ):
            raise ConfigError(
                key, f"{origin!r} is not an origin like http://localhost:5173, http://localhost:*"
            )
    return origins


def _country(key: str, value: Any) -> str:
    text = _text(key, value).upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ConfigError(key, f"must be a 2-letter country code such as SA, got {value!r}")
    return text


def _header_names(key: str, value: Any) -> tuple[str, ...]:
    names = _texts(key, value, "header names")
    for name in names:
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            raise ConfigError(key, f"{name!r} is not an HTTP header name")
    return names


def _share(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0 <= number <= 1:
        raise ConfigError(key, f"must be a number from 0 to 1, got {value!r}")
    return number


def _seed(key: str, value: Any) -> int:
    number = _number(key, value)
    if number != int(number) or number < 0:
        raise ConfigError(key, f"must be a whole number of at least 0, got {value!r}")
    return int(number)


STATE_URL_SCHEMES: Final = ("redis", "rediss", "unix")


def _state(key: str, value: Any) -> str:
    text = _text(key, value)
    scheme = text.split("://", 1)[0].lower() if "://" in text else None
    if scheme is not None and not is_redis_url(text):
        raise ConfigError(
            key,
            f"must be a SQLite file path or a redis://, rediss:// or unix:// URL, got {value!r}",
        )
    if scheme is not None:
        parts = urllib.parse.urlsplit(text)
        if scheme != "unix" and not parts.hostname:
            raise ConfigError(key, f"the Redis URL names no host: {shown_state(text)!r}")
        if scheme == "unix" and not parts.path:
            raise ConfigError(key, f"the Redis URL names no socket path: {text!r}")
    return text


def _state_prefix(key: str, value: Any) -> str:
    text = _text(key, value)
    # Redis key patterns treat * ? [ ] and backslash specially and braces delimit the hash tag.
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", text):
        raise ConfigError(key, f"must be 1-64 letters, digits or . _ : -, got {value!r}")
    return text


def is_redis_url(state: str | None) -> bool:
    """Return whether ``state`` names a Redis server rather than a SQLite file."""
    if state is None or "://" not in state:
        return False
    return state.split("://", 1)[0].lower() in STATE_URL_SCHEMES


def shown_state(state: str | None) -> str | None:
    """Return ``state`` fit for display: a Redis URL's password replaced by ``***``."""
    if state is None or not is_redis_url(state):
        return state
    parts = urllib.parse.urlsplit(state)
    if parts.password is None:
        return state
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


SCALARS: Final[dict[str, tuple[str, Callable[[str, Any], Any]]]] = {
    "host": ("host", _text),
    "port": ("port", _port),
    "rate-limit": ("rate_limit", _positive_int),
    "rate-window": ("rate_window", _positive_number),
    "short-url-base": ("short_url_base", _short_url_base),
    "cors-origins": ("cors_origins", _origins),
    "latency": ("latency_ms", _non_negative_number),
    "state": ("state", _state),
    "state-prefix": ("state_prefix", _state_prefix),
    "workers": ("workers", _positive_int),
    "admin-token": ("admin_token", _text),
    "max-body-bytes": ("max_body_bytes", _positive_int),
    "journal-size": ("journal_size", _positive_int),
    "country-headers": ("country_headers", _header_names),
    "default-country": ("default_country", _country),
    "fault-rate": ("fault_rate", _share),
    "fault-seed": ("fault_seed", _seed),
}
TABLES: Final = ("plans", "keys", "collections")


def read_toml(path: str) -> dict[str, Any]:
    """Read a TOML config file, turning every failure into a ConfigError naming the file."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError("config", f"cannot read {path!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("config", f"{path!r} is not valid TOML: {error}") from None


def from_env(environ: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Return one ``(variable, options)`` layer per ``HOKO_MOCK_<OPTION>`` environment variable."""
    layers: list[tuple[str, dict[str, Any]]] = []
    for option in SCALARS:
        env_name = ENV_PREFIX + option.replace("-", "_").upper()
        if option == "cors-origins":
            env_name = ENV_PREFIX + "CORS_ORIGIN"
        if environ.get(env_name, "").strip():
            layers.append((env_name, {option: environ[env_name]}))
    return layers


def build(*layers: tuple[str, Mapping[str, Any]]) -> MockConfig:
    """Merge ``(source, raw options)`` layers, later ones winning, into a validated config."""
    merged: dict[str, Any] = default_raw()
    sources: dict[str, str] = {}
    for source, layer in layers:
        for key, value in layer.items():
            if key not in SCALARS and key not in TABLES:
                known = ", ".join([*SCALARS, *TABLES])
                raise ConfigError(key, f"unknown setting (known: {known})", source)
            merged[key] = value
            sources[key] = source
    values: dict[str, Any] = {}
    for key, (attribute, convert) in SCALARS.items():
        if key in merged:
            try:
                values[attribute] = convert(key, merged[key])
            except ConfigError as error:
                raise ConfigError(error.key, error.problem, sources.get(key, "")) from None
    plans = _plans(merged["plans"], sources.get("plans", ""))
    keys = _keys(merged["keys"], plans, sources.get("keys", ""))
    collections = _collections(merged["collections"], sources.get("collections", ""))
    return MockConfig(keys=keys, plans=plans, collections=collections, **values)


def _table(key: str, value: Any, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, f"must be a non-empty table, got {value!r}", source)
    return value


def _plans(raw: Any, source: str) -> dict[str, Plan]:
    plans: dict[str, Plan] = {}
    for name, body in _table("plans", raw, source).items():
        where = f"plans.{name}"
        body = _table(where, body, source)
        unknown = set(body) - {"features", "links-per-request", "links-total"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown setting", source)
        features = body.get("features", [])
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ConfigError(
                f"{where}.features", f"must be a list of strings: {features!r}", source
            )
        for feature in features:
            if feature not in FEATURES:
                problem = f"unknown feature {feature!r} (known: {', '.join(FEATURES)})"
                raise ConfigError(f"{where}.features", problem, source)
        if "links-per-request" not in body:
            raise ConfigError(
                f"{where}.links-per-request", "is required (links allowed per request)", source
            )
        try:
            per_request = _positive_int(f"{where}.links-per-request", body.get("links-per-request"))
            if per_request > 10_000:
                raise ConfigError(
                    f"{where}.links-per-request", f"must be at most 10000, got {per_request}"
                )
            total = body.get("links-total")
            total = None if total is None else _positive_int(f"{where}.links-total", total)
        except ConfigError as error:
            raise ConfigError(error.key, error.problem, source) from None
        plans[name] = Plan(name, frozenset(features), per_request, total)
    return plans


def _keys(raw: Any, plans: Mapping[str, Plan], source: str) -> tuple[ApiKey, ...]:
    keys: list[ApiKey] = []
    for secret, body in _table("keys", raw, source).items():
        where = f"keys.{secret}"
        if not re.fullmatch(r"[\x21-\x7e]+", secret):
            raise ConfigError(where, "a key must be printable ASCII without spaces", source)
        body = _table(where, body, source)
        unknown = set(body) - {"scopes", "plan"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown setting", source)
        scopes = body.get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ConfigError(f"{where}.scopes", f"must be a list of strings: {scopes!r}", source)
        plan = body.get("plan")
        if not isinstance(plan, str) or plan not in plans:
            problem = f"unknown plan {plan!r} (known: {', '.join(plans)})"
            raise ConfigError(f"{where}.plan", problem, source)
        keys.append(ApiKey(secret, frozenset(scopes), plans[plan]))
    return tuple(keys)


def _collections(raw: Any, source: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("collections", f"must be a non-empty list of UUIDs, got {raw!r}", source)
    collections: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not re.fullmatch(r"[0-9A-Fa-f-]{36}", item):
            raise ConfigError("collections", f"{item!r} is not a hyphenated UUID", source)
        try:
            collections.append(str(uuid.UUID(item)))
        except ValueError:
            raise ConfigError("collections", f"{item!r} is not a hyphenated UUID", source) from None
    return tuple(collections)
