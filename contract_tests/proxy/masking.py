"""Secrets kept out of logs, listings and HAR files: credentials cut to a recognisable stub."""

from __future__ import annotations

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-mock-admin-token"}
)
SECRET_WORDS = ("token", "secret", "api-key", "apikey", "password")


def is_secret(header: str) -> bool:
    """Tell whether a header (any case) carries a credential."""
    name = header.lower()
    return name in SECRET_HEADERS or any(word in name for word in SECRET_WORDS)


def masked(value: str) -> str:
    """Return a credential with all but a short prefix hidden, its scheme (if any) kept."""
    scheme, space, secret = value.partition(" ")
    if not space:
        scheme, secret = "", value
    stub = secret[:4] + "****" if len(secret) > 8 else "****"
    return f"{scheme} {stub}" if scheme else stub


def masked_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return ``headers`` with every credential masked."""
    return [(name, masked(value) if is_secret(name) else value) for name, value in headers]
