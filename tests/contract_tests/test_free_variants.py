"""The suite passes servers that differ only where the contract says free; --strict fails them."""

from __future__ import annotations

import pytest
from contract_reference import ServerOptions
from contract_running import RunSuite

from contract_tests.behaviours import Status

FREE_VARIANTS = {
    "extra-fields": ServerOptions(free=frozenset({"extra-fields"})),
    "omit-optional-echoes": ServerOptions(free=frozenset({"omit-optional-echoes"})),
    "other-id-formats": ServerOptions(free=frozenset({"other-id-formats"})),
    "rate-headers-only-on-429": ServerOptions(free=frozenset({"rate-headers-only-on-429"})),
    "no-retry-after-header": ServerOptions(free=frozenset({"no-retry-after-header"})),
    "unknown-properties-rejected": ServerOptions(free=frozenset({"unknown-properties-rejected"})),
    "past-expiry-rejected": ServerOptions(free=frozenset({"past-expiry-rejected"})),
    "long-strings-accepted": ServerOptions(free=frozenset({"long-strings-accepted"})),
    "lenient-urls": ServerOptions(free=frozenset({"lenient-urls"})),
    "utm-unknown-ignored": ServerOptions(free=frozenset({"utm-unknown-ignored"})),
    "offset-less-dates-accepted": ServerOptions(free=frozenset({"offset-less-dates-accepted"})),
    "slow-responses": ServerOptions(latency=0.01),
    "other-rate-limit": ServerOptions(rate_limit=120, rate_window=2.0),
}
# Free variant -> the behaviours it leaves nothing to observe of, and why.
UNOBSERVABLE = {
    # Remaining is only sent on 429s, so no two answers of one window can be compared.
    "rate-headers-only-on-429": {"rate-limit.remaining-counts"},
}
# Free variant -> the strict behaviour that --strict fails it on.
STRICT_FAILURES = {
    "omit-optional-echoes": "strict.echo-every-field",
    "rate-headers-only-on-429": "strict.rate-headers-everywhere",
    "no-retry-after-header": "rate-limit.429",
    "unknown-properties-rejected": "strict.unknown-properties",
    "past-expiry-rejected": "strict.past-expiry",
    "long-strings-accepted": "strict.max-lengths",
    "lenient-urls": "strict.url-form",
    "utm-unknown-ignored": "strict.utm-keys",
    "offset-less-dates-accepted": "matrix.rejected",
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", FREE_VARIANTS)
def test_free_variant_conforms(run_suite: RunSuite, variant: str) -> None:
    """Every behaviour passes on a free variant, but those it gives nothing to observe of."""
    result = run_suite(FREE_VARIANTS[variant])
    assert result.exit_code == 0, (variant, result.verdict.failing())
    statuses = {key: seen.status for key, seen in result.verdict.observations.items()}
    unobserved = {key for key, status in statuses.items() if status is Status.NOT_OBSERVED}
    assert unobserved == UNOBSERVABLE.get(variant, set()), statuses
    assert {statuses[key] for key in statuses.keys() - unobserved} == {Status.PASS}, statuses


def test_other_rate_limit_is_waited_out(run_suite: RunSuite) -> None:
    """A small limit makes the run wait out 429s, validate them, and still pass."""
    result = run_suite(ServerOptions(rate_limit=60, rate_window=1.0))
    assert result.exit_code == 0, result.verdict.failing()
    assert result.counters.rate_limited > 0
    assert result.verdict.observations["rate-limit.429"].checked > 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variant", "behaviour"), STRICT_FAILURES.items(), ids=list(STRICT_FAILURES)
)
def test_strict_fails_free_variant(run_suite: RunSuite, variant: str, behaviour: str) -> None:
    """With --strict, a free variant fails on exactly the free point it takes."""
    result = run_suite(FREE_VARIANTS[variant], strict=True)
    assert result.exit_code == 1
    assert behaviour in result.verdict.failing(), result.verdict.failing()


@pytest.mark.slow
def test_strict_passes_the_reference(run_suite: RunSuite) -> None:
    """The reference makes the contract's own choice on every free point, so --strict passes it."""
    result = run_suite(strict=True)
    assert result.exit_code == 0, result.verdict.failing()
    assert "strict.max-lengths" in result.verdict.observations
