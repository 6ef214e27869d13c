"""Medians, percentiles and same-round ratios over the rounds of a run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """Return the median, or NaN when there is nothing to take it of."""
    return statistics.median(values) if values else math.nan


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile (``fraction`` in 0..1) of already sorted values."""
    if not sorted_values:
        return math.nan
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"percentile fraction must be within 0..1, got {fraction}")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def ratio(numerator: float, denominator: float) -> float:
    """Return ``numerator / denominator``, NaN when either is missing or the divisor is 0."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Return the median of round-by-round ratios, pairing values measured in the same round."""
    if len(numerators) != len(denominators):
        raise ValueError(f"{len(numerators)} values cannot pair with {len(denominators)}")
    ratios = [ratio(n, d) for n, d in zip(numerators, denominators, strict=True)]
    return median([r for r in ratios if not math.isnan(r)])
