"""``hoko-mock``: start the fake Hoko from defaults, a TOML file, env vars and options."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
import uvicorn

from mock_server import config as config_module
from mock_server.app import CONFIG_ENV, create_app, open_store
from mock_server.config import MockConfig
from mock_server.errors import ConfigError
from mock_server.protocol import PROTOCOL_PATH

USAGE_ERROR: Final = 2

# option -> (key in the TOML file, help); every option is also HOKO_MOCK_<OPTION>.
OPTIONS: Final = {
    "--host": ("host", "address to listen on (default 127.0.0.1)"),
    "--port": ("port", "port to listen on, 0 for any free one (default 8000)"),
    "--rate-limit": ("rate-limit", "requests per window per key (default 600)"),
    "--rate-window": ("rate-window", "rate-limit window in seconds (default 60)"),
    "--short-url-base": ("short-url-base", "base of shortUrl and qrCode (default https://hoko.to)"),
    "--latency": ("latency", "milliseconds to wait before answering /api/links (default 0)"),
    "--state": (
        "state",
        "SQLite file keeping links and rate limits across restarts, or a redis://, rediss:// "
        "or unix:// URL shared by several replicas (default: memory)",
    ),
    "--state-prefix": (
        "state-prefix",
        "prefix of the Redis keys, so several mocks can share one Redis (default hoko-mock)",
    ),
    "--workers": ("workers", "worker processes; more than 1 needs --state (default 1)"),
    "--admin-token": ("admin-token", "require this token in X-Mock-Admin-Token on /__mock/"),
    "--country-headers": (
        "country-headers",
        "headers giving a short-link visitor's country, first wins "
        "(default CF-IPCountry,X-Vercel-IP-Country)",
    ),
    "--default-country": ("default-country", "country of visitors no header names (default none)"),
    "--fault-rate": ("fault-rate", "share of requests, 0 to 1, given a random fault (default 0)"),
    "--fault-seed": ("fault-seed", "seed of the random faults, for a repeatable run"),
}


def parser() -> argparse.ArgumentParser:
    """Return the argument parser; each option also reads ``HOKO_MOCK_<OPTION>``."""
    result = argparse.ArgumentParser(
        prog="hoko-mock",
        description="A local fake Hoko POST /api/links for frontend development and tests.",
        epilog="Every option can also be set as HOKO_MOCK_<OPTION> (e.g. HOKO_MOCK_PORT=9000, "
        "HOKO_MOCK_CORS_ORIGIN=http://localhost:5173,http://localhost:3000). "
        "Precedence: options > env vars > config file > defaults.",
    )
    result.add_argument(
        "--config", metavar="FILE.toml", help="TOML config file (env HOKO_MOCK_CONFIG)"
    )
    for option, (_, help_text) in OPTIONS.items():
        result.add_argument(option, help=help_text)
    result.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allowed browser origin, repeatable; * wildcards a port or label "
        "(default http://localhost:* and http://127.0.0.1:*)",
    )
    return result


def resolve(
    argv: Sequence[str] | None, environ: Mapping[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """Return the config layers (file, env, options) in order of precedence, lowest first."""
    args = parser().parse_args(argv)
    layers: list[tuple[str, dict[str, Any]]] = []
    config_path = args.config or environ.get("HOKO_MOCK_CONFIG")
    if config_path:
        layers.append((config_path, config_module.read_toml(config_path)))
    layers.extend(config_module.from_env(environ))
    for option, (key, _) in OPTIONS.items():
        value = getattr(args, option[2:].replace("-", "_"))
        if value is not None:
            layers.append((option, {key: value}))
    if args.cors_origin:
        layers.append(("--cors-origin", {"cors-origins": args.cors_origin}))
    return layers


def banner(config: MockConfig) -> str:
    """Return what the mock prints at startup: where it is and what it knows."""
    lines = [
        f"hoko-mock: fake Hoko at {config.base_url}  (POST {config.base_url}/api/links)",
        f"  docs: {config.base_url}/docs   control: {config.base_url}/__mock/config",
        "  API keys:",
        *(
            f"    {key.secret:<22} scopes={','.join(sorted(key.scopes))} plan={key.plan.name}"
            for key in config.keys
        ),
        "  collections:",
        *(f"    {collection}" for collection in config.collections),
        "  plans:",
        *(
            f"    {plan.name:<8} features={','.join(sorted(plan.features)) or '-'} "
            f"links/request={plan.links_per_request}"
            + (f" links total={plan.links_total}" if plan.links_total else "")
            for plan in config.plans.values()
        ),
        f"  rate limit: {config.rate_limit} requests per {config.rate_window:g} s per key",
        f"  state: {config_module.shown_state(config.state) or 'memory (lost on exit)'}",
    ]
    return "\n".join(lines)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def exposure_warning(config: MockConfig) -> str | None:
    """Return a warning when the mock is reachable from other machines, else None."""
    if _is_loopback(config.host):
        return None
    advice = "" if config.admin_token else "; protect /__mock/ with --admin-token"
    return f"hoko-mock: warning: listening on {config.host}, reachable from other machines{advice}"


def _bind(config: MockConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose protocol
    # says TCP, and without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as error:
        sock.close()
        raise ConfigError(
            "port", f"cannot listen on {config.host}:{config.port}: {error.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mock until interrupted; a bad config exits 2 with one line naming the key."""
    try:
        layers = resolve(argv, os.environ)
        config = config_module.build(*layers)
        if config.workers > 1 and not config.state:
            raise ConfigError(
                "workers", "more than 1 worker needs --state FILE or URL to share links"
            )
        sock = _bind(config)
        port = sock.getsockname()[1]
        if port != config.port:
            layers.append(("bound port", {"port": port}))
            config = config_module.build(*layers)
        # Opened here, so an unusable --state is one line and exit 2, not a traceback.
        store = open_store(config)
    except ConfigError as error:
        print(f"hoko-mock: config error: {error}", file=sys.stderr)
        return USAGE_ERROR
    print(banner(config), flush=True)
    warning = exposure_warning(config)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    uvicorn_options: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "on",
        "http": PROTOCOL_PATH,
        # The mock reads neither the client address nor the scheme: no X-Forwarded-* rewriting.
        "proxy_headers": False,
    }
    if config.workers > 1:
        asyncio.run(store.close())  # each worker opens its own
        os.environ[CONFIG_ENV] = orjson.dumps(layers).decode()
        server_config = uvicorn.Config(
            "mock_server.app:app_from_environment",
            factory=True,
            workers=config.workers,
            **uvicorn_options,
        )
        uvicorn.supervisors.Multiprocess(server_config, sockets=[sock]).run()
    else:
        server_config = uvicorn.Config(create_app(config, store), **uvicorn_options)
        uvicorn.Server(server_config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
