"""The suite fails every server that breaks one documented rule, and names the rule."""

from __future__ import annotations

import pytest
from contract_reference import ServerOptions
from contract_running import RunSuite

# Fault of the reference server -> the behaviour the suite must report as failing.
FAULTS = {
    "status-200": "create.documented-example",
    "missing-qr-code": "create.response-body",
    "created-at-missing": "create.response-body",
    "short-url-http": "create.response-body",
    "qr-code-size": "create.response-body",
    "order-reversed": "create.response-body",
    "echo-trimmed": "create.edge-strings",
    "short-id-reused": "create.unique-links",
    "error-text-plain": "invalid.url",
    "flat-error": "invalid.documented-example",
    "any-url": "invalid.url",
    "rejects-utm-referral": "create.every-field",
    "rejects-empty-title": "create.edge-strings",
    "null-accepted": "invalid.null",
    "any-collection": "invalid.unknown-collection",
    "not-array-500": "invalid.body-shape",
    "non-ascii-500": "create.edge-strings",
    "no-auth-500": "auth.missing-header",
    "any-scheme": "auth.non-bearer",
    "unknown-key-403": "auth.unknown-key",
    "scope-401": "auth.missing-scope",
    "no-missing-scopes": "auth.missing-scope",
    "body-before-auth": "auth.before-body",
    "empty-array-201": "invalid.empty-array",
    "limit-off-by-one": "batch.limits",
    "limit-too-low": "batch.limits",
    "non-atomic": "batch.atomic",
    "duplicate-external-id-across": "external-id.unique-across",
    "duplicate-external-id-within": "external-id.unique-within",
    "no-rate-headers-on-429": "rate-limit.429",
    "no-retry-after-field": "rate-limit.429",
    "rate-limit-503": "rate-limit.429",
}


@pytest.mark.slow
@pytest.mark.finds_bug
@pytest.mark.parametrize(("fault", "behaviour"), FAULTS.items(), ids=list(FAULTS))
def test_suite_names_the_broken_rule(run_suite: RunSuite, fault: str, behaviour: str) -> None:
    """A server with ``fault`` makes the run exit 1 with ``behaviour`` among the failures."""
    result = run_suite(ServerOptions(fault=fault))
    assert result.exit_code == 1, f"{fault}: the suite passed a broken server"
    assert behaviour in result.verdict.failing(), (fault, result.verdict.failing())
    finding = result.verdict.observations[behaviour].findings[0]
    assert finding.documented, finding
    assert finding.curl is not None, finding
    assert finding.curl.startswith("curl -X POST"), finding
