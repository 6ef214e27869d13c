"""Subscription plans: the link fields each feature unlocks, the per-request and total caps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

FEATURES: Final = ("expiration", "password", "cloaking", "deviceTargeting", "geoTargeting")

# The documentation names, next to each field, the plan feature it needs.
FEATURE_OF_FIELD: Final = {
    "expiresAt": "expiration",
    "expiredUrl": "expiration",
    "password": "password",
    "cloaked": "cloaking",
    "ios": "deviceTargeting",
    "android": "deviceTargeting",
    "geo": "geoTargeting",
}


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan: its features, the links allowed per request and, optionally, in the workspace."""

    name: str
    features: frozenset[str]
    links_per_request: int
    links_total: int | None = None
    gated_fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        locked = frozenset(
            f for f, feature in FEATURE_OF_FIELD.items() if feature not in self.features
        )
        object.__setattr__(self, "gated_fields", locked)

    def describe(self) -> dict[str, Any]:
        """Return the plan as shown by ``/__mock/config`` and the startup banner."""
        return {
            "features": sorted(self.features),
            "linksPerRequest": self.links_per_request,
            "linksTotal": self.links_total,
        }
