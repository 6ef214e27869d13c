"""The suite fails every server that breaks one documented rule, and names the rule."""

from __future__ import annotations

import pytest
from contract_reference import BASIC_KEY, ServerOptions
from contract_running import RunSuite
from test_free_variants import STRICT_FAILURES

from contract_tests.behaviours import BEHAVIOURS

# Fault of the reference server -> the behaviours the suite must report as failing.
FAULTS: dict[str, tuple[str, ...]] = {
    "status-200": (
        "create.documented-example", "create.metadata-example", "properties.created",
        "schemathesis.status_code_conformance",
    ),
    "missing-qr-code": ("create.response-body", "schemathesis.response_schema_conformance"),
    "created-at-missing": ("create.response-body",),
    "short-url-http": ("create.response-body",),
    "qr-code-size": ("create.response-body",),
    "order-reversed": ("create.response-body",),
    "echo-trimmed": ("create.edge-strings",),
    "short-id-reused": ("create.unique-links",),
    "error-text-plain": ("invalid.url", "invalid.required-field", "invalid.wrong-value"),
    "flat-error": ("invalid.documented-example", "properties.rejected"),
    "any-url": ("invalid.url",),
    "rejects-utm-referral": ("create.every-field",),
    "rejects-empty-title": ("create.edge-strings",),
    "null-accepted": ("invalid.null",),
    "any-collection": ("invalid.unknown-collection",),
    "not-array-500": ("invalid.body-shape",),
    "non-ascii-500": ("create.edge-strings",),
    "no-auth-500": ("auth.missing-header", "schemathesis.ignored_auth"),
    "any-scheme": ("auth.non-bearer",),
    "unknown-key-403": ("auth.unknown-key",),
    "scope-401": ("auth.missing-scope",),
    "no-missing-scopes": ("auth.missing-scope",),
    "body-before-auth": ("auth.before-body",),
    "empty-array-201": ("invalid.empty-array",),
    "limit-off-by-one": ("batch.limits",),
    "limit-too-low": ("batch.limits",),
    "non-atomic": ("batch.atomic",),
    "duplicate-external-id-across": ("external-id.unique-across",),
    "duplicate-external-id-within": ("external-id.unique-within",),
    "no-rate-headers-on-429": ("rate-limit.429",),
    "no-retry-after-field": ("rate-limit.429",),
    "rate-limit-503": ("rate-limit.429",),
    # Faults nobody listed before the coverage matrix and the semantic probes.
    "external-id-case-folded": ("external-id.exact-equality",),
    "external-id-normalized": ("external-id.exact-equality",),
    "url-unique": ("create.same-url",),
    "400-not-counted": ("rate-limit.remaining-counts",),
    "counted-per-link": ("rate-limit.remaining-counts",),
    "rate-headers-float": ("rate-limit.headers", "schemathesis.response_headers_conformance"),
    "limit-before-auth": ("order.checks",),
    "image-unchecked": ("matrix.rejected",),
    "device-urls-unchecked": ("matrix.rejected",),
    "geo-values-unchecked": ("matrix.rejected",),
    "utm-null-accepted": ("matrix.rejected",),
    "cloaked-coerced": ("matrix.rejected",),
    "rejects-url-port": ("matrix.accepted",),
    "rejects-ipv4-host": ("matrix.accepted",),
    "rejects-percent-escapes": ("matrix.accepted",),
    "rejects-offset-date": ("matrix.accepted",),
    "rejects-fraction-seconds": ("matrix.accepted",),
    "uuid-lowercase-only": ("matrix.accepted",),
    "description-limit-1000": ("matrix.accepted", "create.every-field"),
    "geo-limit-10": ("matrix.accepted",),
    "date-echo-utc": ("matrix.accepted",),
    "url-echo-normalized": ("matrix.accepted",),
    "empty-echo-null": ("matrix.accepted",),
    "title-required": ("create.documented-example", "schemathesis.positive_data_acceptance"),
    "created-then-500": ("create.documented-example", "schemathesis.not_a_server_error"),
    "created-as-text": ("create.response-body", "schemathesis.content_type_conformance"),
    "schema-unchecked": ("invalid.wrong-value", "schemathesis.negative_data_rejection"),
}  # fmt: skip
# Proofs that rest on generated cases get enough of them to hold whatever the hash seed.
RUN_SETTINGS: dict[str, dict[str, object]] = {
    "title-required": {"max_examples": 20},
    "schema-unchecked": {"max_examples": 20},
}
# Faults only a run on a plan without features shows (the reference's basic key, 5 per request).
PLAN_FAULTS: dict[str, tuple[str, ...]] = {
    "plan-gates-ignored": ("plan.gated-fields",),
    "cloaked-ungated": ("plan.gated-fields",),
}
BASIC_PLAN = {"api_key": BASIC_KEY, "plan_features": frozenset(), "max_batch": 5}
# Behaviours no broken server in this directory can fail, and why.
UNPROVABLE: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.finds_bug
@pytest.mark.parametrize(
    ("fault", "behaviours"),
    [*FAULTS.items(), *PLAN_FAULTS.items()],
    ids=[*FAULTS, *PLAN_FAULTS],
)
def test_suite_names_the_broken_rule(
    run_suite: RunSuite, fault: str, behaviours: tuple[str, ...]
) -> None:
    """A server with ``fault`` makes the run exit 1 with each of ``behaviours`` failing."""
    overrides = BASIC_PLAN if fault in PLAN_FAULTS else RUN_SETTINGS.get(fault, {})
    result = run_suite(ServerOptions(fault=fault), **overrides)
    assert result.exit_code == 1, f"{fault}: the suite passed a broken server"
    missing = [name for name in behaviours if name not in result.verdict.failing()]
    assert missing == [], (fault, result.verdict.failing())
    finding = result.verdict.observations[behaviours[0]].findings[0]
    assert finding.documented, finding
    assert finding.curl is not None, finding
    assert finding.curl.startswith("curl -X POST"), finding


def test_every_behaviour_fails_against_some_broken_server() -> None:
    """Each declared behaviour is proven by a fault here or a free variant under --strict."""
    proven = {name for names in [*FAULTS.values(), *PLAN_FAULTS.values()] for name in names}
    proven |= set(STRICT_FAILURES.values())
    assert set(BEHAVIOURS) - proven - set(UNPROVABLE) == set()
    assert set(UNPROVABLE) <= set(BEHAVIOURS)


@pytest.mark.slow
def test_a_basic_plan_run_passes_the_reference(run_suite: RunSuite) -> None:
    """The reference's basic key, described by --plan-features '', passes: gates and limits hold."""
    result = run_suite(**BASIC_PLAN)
    assert result.exit_code == 0, result.verdict.failing()
    assert result.verdict.observations["plan.gated-fields"].checked > 0
