"""Medians, nearest-rank percentiles and same-round ratios."""

from __future__ import annotations

import math

import pytest

from bench.stats import median, median_ratio, percentile, ratio


def test_median_of_odd_and_even_counts() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_nothing_is_nan() -> None:
    assert math.isnan(median([]))


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.0, 1.0), (0.5, 50.0), (0.99, 99.0), (1.0, 100.0)]
)
def test_percentile_is_nearest_rank(fraction: float, expected: float) -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, fraction) == expected


def test_percentile_rejects_fractions_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1.0], 99)


def test_ratio_is_nan_without_a_divisor() -> None:
    assert ratio(6.0, 3.0) == 2.0
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))


def test_median_ratio_pairs_values_of_the_same_round() -> None:
    # Round-by-round ratios are 2, 4 and 3: the median is 3, not median(top)/median(bottom).
    assert median_ratio([200.0, 400.0, 150.0], [100.0, 100.0, 50.0]) == 3.0


def test_median_ratio_refuses_unpaired_rounds() -> None:
    with pytest.raises(ValueError, match="cannot pair"):
        median_ratio([1.0, 2.0], [1.0])
