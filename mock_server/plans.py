"""Subscription plans: the link fields each feature unlocks, the per-request and total caps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import openapi

# The spec names, on each plan-gated link field, the feature it needs (decision 16).
FEATURE_OF_FIELD: Final = {
    name: schema["x-plan-feature"]
    for name, schema in openapi.schema_at("#/components/schemas/LinkFields")["properties"].items()
    if "x-plan-feature" in schema
}
FEATURES: Final = tuple(dict.fromkeys(FEATURE_OF_FIELD.values()))


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
