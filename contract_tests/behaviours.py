"""The documented behaviours the suite checks, and what the run observed about each."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from contract_tests.transport import Exchange


@dataclass(frozen=True)
class Behaviour:
    """One documented behaviour: its id, what it says, and where the documentation says it."""

    id: str
    title: str
    section: str
    strict_only: bool = False


def _catalogue(*rows: tuple[str, str, str] | tuple[str, str, str, bool]) -> dict[str, Behaviour]:
    return {row[0]: Behaviour(*row) for row in rows}


BEHAVIOURS = _catalogue(
    (
        "auth.missing-header",
        "401 when the Authorization header is missing",
        "Status Codes > 401; decision 1",
    ),
    ("auth.non-bearer", "401 for a scheme other than Bearer", "Authentication; Status Codes > 401"),
    ("auth.unknown-key", "401 for an unknown key (the documented request)", "Status Codes > 401"),
    (
        "auth.missing-scope",
        "403 with missingScopes for a key without linksWrite",
        "Authentication; Status Codes > 403",
    ),
    (
        "auth.before-body",
        "401 and 403 come before the body is read",
        "Status Codes > 401, 403; decision 1",
    ),
    (
        "create.documented-example",
        "the documented 201 request (every plan feature) creates its link",
        "Status Codes > 201",
    ),
    ("create.metadata-example", "the documented Examples request creates its link", "Examples"),
    (
        "create.every-field",
        "a link with every documented field at its maximal length is created",
        "Request Body; decision 9",
    ),
    (
        "create.edge-strings",
        "empty, non-ASCII, emoji and space-edged strings are accepted and echoed unchanged",
        "Request Body; decision 9",
    ),
    (
        "create.response-body",
        "201 body: one link per item, in order, sent fields unchanged, shortUrl and qrCode derived",
        "Status Codes > 201; decision 5",
    ),
    (
        "create.unique-links",
        "ids and shortUrls are unique across all responses",
        "Endpoint; decision 5",
    ),
    ("invalid.documented-example", "the documented 400 request is rejected", "Status Codes > 400"),
    (
        "invalid.url",
        "a URL that is not an absolute http(s) URL is rejected",
        "Request Body; decision 10",
    ),
    (
        "invalid.body-shape",
        "a body that is not JSON, not an array, or has a non-object item is rejected",
        "Request Body; decision 2",
    ),
    ("invalid.empty-array", "an empty array is rejected", "Request Body; decision 2"),
    ("invalid.required-field", "a link without url or collectionId is rejected", "Request Body"),
    (
        "invalid.wrong-value",
        "a field of the wrong type or format is rejected",
        "Request Body; decision 2",
    ),
    ("invalid.null", "null for any field is rejected", "decision 2"),
    (
        "invalid.unknown-collection",
        "an unknown collectionId is rejected",
        "Request Body; Important Constraints",
    ),
    (
        "batch.limits",
        "1 and --max-batch links are created; one more is rejected",
        "Request Body; Plan Limits",
    ),
    ("batch.atomic", "a rejected batch creates nothing: its externalIds stay free", "decision 4"),
    (
        "external-id.unique-across",
        "an externalId already used is rejected",
        "Request Body; Important Constraints",
    ),
    (
        "external-id.unique-within",
        "an externalId repeated within one batch is rejected",
        "decision 2",
    ),
    (
        "rate-limit.429",
        "429 with retryAfter and X-RateLimit-* headers when the limit is reached",
        "Status Codes > 429; decision 7",
    ),
    (
        "rate-limit.headers",
        "X-RateLimit-* headers, where sent, are non-negative integers",
        "Status Codes > 429; decision 7",
    ),
    (
        "properties.created",
        "generated batches are created: count, order, echo, derivation, uniqueness",
        "Status Codes > 201; decisions 4, 5",
    ),
    (
        "properties.rejected",
        "generated batches with one bad item are rejected whole, externalIds left free",
        "Status Codes > 400; decisions 2, 4",
    ),
    ("schemathesis.not_a_server_error", "no 5xx for any generated request", "Status Codes"),
    ("schemathesis.status_code_conformance", "only documented status codes", "Status Codes"),
    (
        "schemathesis.content_type_conformance",
        "documented Content-Type on every response",
        "Status Codes",
    ),
    (
        "schemathesis.response_headers_conformance",
        "documented response headers",
        "Status Codes > 429; decision 7",
    ),
    (
        "schemathesis.response_schema_conformance",
        "response bodies match the documented schemas",
        "Status Codes",
    ),
    (
        "schemathesis.positive_data_acceptance",
        "schema-valid links are created",
        "Request Body; Status Codes > 201",
    ),
    (
        "schemathesis.negative_data_rejection",
        "schema-invalid requests are rejected",
        "Request Body; Status Codes > 400",
    ),
    (
        "schemathesis.missing_required_header",
        "a request without Authorization is rejected",
        "Authentication",
    ),
    ("schemathesis.ignored_auth", "authentication is not ignored", "Authentication"),
    ("strict.echo-every-field", "every sent field is echoed", "decision 5 (free)", True),
    (
        "strict.unknown-properties",
        "unknown link properties are accepted and not echoed",
        "decision 3 (free)",
        True,
    ),
    ("strict.past-expiry", "an expiresAt in the past is accepted", "decision 8 (free)", True),
    (
        "strict.max-lengths",
        "strings over maxLength and geo over maxProperties are rejected",
        "decision 9 (free)",
        True,
    ),
    (
        "strict.url-form",
        "URLs outside RFC 3986's ASCII form or with a port over 65535 are rejected",
        "decision 10 (free)",
        True,
    ),
    ("strict.utm-keys", "unknown utm keys are rejected", "Request Body > utm (free)", True),
    (
        "strict.rate-headers-everywhere",
        "X-RateLimit-* on every authenticated response, Retry-After on 429",
        "decision 7 (free)",
        True,
    ),
)


class Status(enum.StrEnum):
    """The verdict on one behaviour."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    NOT_OBSERVED = "not observed"


@dataclass(frozen=True)
class Finding:
    """One violation: what was sent, what came back, and what the contract says."""

    problem: str
    documented: str
    exchange: Exchange | None = None
    curl: str | None = None


@dataclass
class Observation:
    """What the run saw of one behaviour."""

    behaviour: Behaviour
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """Fail on any finding, pass when checked at least once, otherwise not observed."""
        if self.findings:
            return Status.FAIL
        return Status.PASS if self.checked else Status.NOT_OBSERVED


class Verdict:
    """The observations of one run, in catalogue order."""

    def __init__(self, strict: bool) -> None:
        self.observations = {
            key: Observation(behaviour)
            for key, behaviour in BEHAVIOURS.items()
            if strict or not behaviour.strict_only
        }

    def passed(self, behaviour_id: str) -> None:
        """Record one successful check of a behaviour."""
        self.observations[behaviour_id].checked += 1

    def failed(self, behaviour_id: str, finding: Finding) -> None:
        """Record a violation; repeats of the same problem are kept once."""
        observation = self.observations[behaviour_id]
        observation.checked += 1
        if all(known.problem != finding.problem for known in observation.findings):
            observation.findings.append(finding)

    def note(self, behaviour_id: str, text: str) -> None:
        """Attach a remark (for example why a behaviour was not observed)."""
        if behaviour_id in self.observations:
            self.observations[behaviour_id].notes.append(text)

    def failing(self) -> list[str]:
        """Return the ids of every failing behaviour."""
        return [key for key, seen in self.observations.items() if seen.status is Status.FAIL]
