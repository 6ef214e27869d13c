"""CORS for browser apps: origin patterns like ``http://localhost:*``, rate headers exposed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "Prefer", "X-Mock-Admin-Token")
EXPOSED_HEADERS: Final = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)


def origin_regex(patterns: Sequence[str]) -> str:
    """Turn origin patterns into one regex: ``:*`` is any port or none, another ``*`` one label."""
    alternatives = []
    for pattern in patterns:
        escaped = re.escape(pattern)
        escaped = escaped.replace(r":\*", r"(?::[0-9]{1,5})?").replace(r"\*", r"[A-Za-z0-9-]+")
        alternatives.append(escaped)
    return "|".join(f"(?:{alternative})" for alternative in alternatives)


def cors_middleware(patterns: Sequence[str]) -> Middleware:
    """Return the CORS middleware allowing ``patterns``."""
    anywhere = "*" in patterns
    return Middleware(
        CORSMiddleware,
        allow_origins=["*"] if anywhere else [],
        allow_origin_regex=None if anywhere else origin_regex(patterns),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
