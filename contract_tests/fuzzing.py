"""Schemathesis over the kit's spec: generated positive and negative cases, every check run."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from typing import Any

import hypothesis
import jsonschema_rs
import requests

import openapi
from contract_tests.behaviours import Finding, declare
from contract_tests.context import RunContext
from contract_tests.errors import RunStoppedError, ServerUnreachableError
from contract_tests.expectations import FREE_BOUNDS, FUTURE, is_future, link_fields
from contract_tests.rules import COUNTRY_CODES, fields_of_kind
from contract_tests.schemathesis_adapter import Answer, GeneratedCase, Operation
from contract_tests.transport import Exchange, Received, Sent

SCHEMATHESIS_BEHAVIOURS = {
    "not_a_server_error": ("no 5xx for any generated request", "Status Codes"),
    "status_code_conformance": ("only documented status codes", "Status Codes"),
    "content_type_conformance": ("documented Content-Type on every response", "Status Codes"),
    "response_headers_conformance": (
        "documented response headers",
        "Status Codes > 429; decision 7",
    ),
    "response_schema_conformance": ("response bodies match the documented schemas", "Status Codes"),
    "positive_data_acceptance": (
        "schema-valid links are created",
        "Request Body; Status Codes > 201",
    ),
    "negative_data_rejection": (
        "schema-invalid requests are rejected",
        "Request Body; Status Codes > 400",
    ),
    "ignored_auth": ("authentication is not ignored", "Authentication"),
}
for _name, (_title, _section) in SCHEMATHESIS_BEHAVIOURS.items():
    declare(f"schemathesis.{_name}", _title, _section)
RATE_LIMIT_RETRIES = 3
SMALL_BATCH_LIMIT = 20
PROGRESS_EVERY = 50


def generation_spec(ctx: RunContext) -> dict[str, Any]:
    """Return the spec cases are drawn from: bounds tightened, valid examples only."""
    spec = openapi.load_spec()
    # Tighter bounds keep every positive case valid under the contract while sparing the coverage
    # phase from drawing 2,048-character URLs (tens of seconds); the negative cases that only
    # break a tightened bound are then dropped by `judges_invalid`.
    spec["components"]["schemas"] = tighten(spec["components"]["schemas"])
    # The pattern is the URL rule (decision 10); also drawing for `format: uri` costs seconds.
    spec["components"]["schemas"]["HttpUrl"].pop("format", None)
    request = spec["components"]["schemas"]["CreateLinksRequest"]
    # Coverage would build arrays of maxItems links (seconds each); batch.limits checks big limits.
    if ctx.settings.max_batch <= SMALL_BATCH_LIMIT:
        request["maxItems"] = ctx.settings.max_batch
    else:
        del request["maxItems"]
    body = spec["paths"][openapi.LINKS_PATH]["post"]["requestBody"]["content"]["application/json"]
    validator = jsonschema_rs.Draft202012Validator(openapi.request_schema())
    body["examples"] = {
        name: example
        for name, example in body["examples"].items()
        if validator.is_valid(example["value"])
    }
    return spec


GENERATED_MAX_LENGTH = 64
GENERATED_MAX_PROPERTIES = 4
# What any server takes for an http(s) URL (decision 10 without its free part).
LENIENT_URL_PATTERN = r"^(?:[Hh][Tt][Tt][Pp][Ss]?)://[^\x00-\x20\x7f/?#]+[^\x00-\x20\x7f]*$"


def tighten(schema: Any) -> Any:
    """Return ``schema`` with every maxLength and maxProperties capped for generation."""
    if isinstance(schema, list):
        return [tighten(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {key: tighten(value) for key, value in schema.items()}
    if isinstance(schema.get("maxLength"), int):
        tightened["maxLength"] = min(schema["maxLength"], GENERATED_MAX_LENGTH)
    if isinstance(schema.get("maxProperties"), int):
        tightened["maxProperties"] = min(schema["maxProperties"], GENERATED_MAX_PROPERTIES)
    return tightened


def lenient(schema: Any, url_pattern: str, utm_keys: frozenset[str]) -> Any:
    """Return ``schema`` without the points the contract marks free (decisions 9 and 10, utm)."""
    if isinstance(schema, list):
        return [lenient(value, url_pattern, utm_keys) for value in schema]
    if not isinstance(schema, dict):
        return schema
    # One walk: dropping the free bounds here rather than through `relax` at every level.
    relaxed = {
        key: lenient(value, url_pattern, utm_keys)
        for key, value in schema.items()
        if key not in FREE_BOUNDS and (key != "format" or schema.get("pattern") != url_pattern)
    }
    if schema.get("pattern") == url_pattern:
        relaxed["pattern"] = LENIENT_URL_PATTERN
    if set(schema.get("properties", {})) == utm_keys:
        relaxed.pop("additionalProperties", None)
    return relaxed


@functools.cache
def judge(strict: bool) -> Any:
    """Return the validator that decides whether a body is invalid for every conforming server."""
    schema = openapi.request_schema()
    if not strict:
        url_pattern = openapi.schema_at("#/components/schemas/HttpUrl")["pattern"]
        utm_keys = frozenset(openapi.schema_at("#/components/schemas/Utm")["properties"])
        schema = lenient(schema, url_pattern, utm_keys)
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def judges_invalid(body: Any, strict: bool) -> bool:
    """Tell whether a body meant to be invalid truly is, for every conforming server."""
    if isinstance(body, (bytes, bytearray, str)) or body is None:
        return True
    try:
        return not judge(strict).is_valid(body)
    except (ValueError, TypeError):
        return True


# Forms every reasonable parser accepts. Outside --strict, a generated value that is valid by the
# contract but odd (a one-letter host, userinfo, a leap second, a nil-version UUID) is swapped
# for a plain one, so that a server is never failed for a parser's corner the docs don't reach.
PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}"
    r"(?:/[A-Za-z0-9._~/-]*)?\Z"
)
PLAIN_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})\Z"
)
PLAIN_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z"
)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """Return ``item`` with its odd-but-valid URLs, date-time and partnerId made plain."""
    made = dict(item)
    for name in fields_of_kind("url"):
        if isinstance(made.get(name), str) and not PLAIN_URL.match(made[name]):
            made[name] = f"https://example.com/{name}"
    if isinstance(made.get("geo"), dict):
        made["geo"] = {
            code: url
            if isinstance(url, str) and PLAIN_URL.match(url)
            else "https://example.com/geo"
            for code, url in made["geo"].items()
        }
    if isinstance(made.get("expiresAt"), str) and not PLAIN_DATE_TIME.match(made["expiresAt"]):
        made["expiresAt"] = FUTURE
    if isinstance(made.get("partnerId"), str) and not PLAIN_UUID.match(made["partnerId"]):
        made["partnerId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, made["partnerId"]))
    return made


def derived_seed(seed: int, label: str) -> int:
    """Return a seed for one part of the run, derived from the run's seed."""
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:{label}".encode(), digest_size=8).digest(), "big"
    )


# Built operations, by everything that shapes the cases; later runs in one process reuse them.
_OPERATIONS: dict[tuple[Any, ...], Operation] = {}


def operation_for(ctx: RunContext) -> Operation:
    """Return the Schemathesis operation for ``ctx``'s settings, building it on first use."""
    settings = ctx.settings
    key = (settings.base_url, settings.max_batch, settings.api_key)
    if key not in _OPERATIONS:
        _OPERATIONS[key] = Operation(
            generation_spec(ctx),
            openapi.LINKS_PATH,
            settings.base_url.rstrip("/"),
            ctx.bearer(),
            rejection_statuses=["400", "401", "403"],
        )
    return _OPERATIONS[key]


class SchemathesisRun:
    """One Schemathesis pass whose cases carry the configured collection and fresh externalIds."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.stopped: RunStoppedError | ServerUnreachableError | None = None
        self.cases = 0
        # Negative cases whose only fault is a point the contract leaves free.
        self.skipped = 0

    def ready(self, item: Any) -> Any:
        """Return ``item`` as a link every conforming server accepts, its externalId made fresh."""
        # Free points are steered clear of: unknown properties (decision 3) are dropped, a past
        # expiresAt (decision 8) moves to the future, and geo keys become real ISO 3166 codes.
        if not isinstance(item, dict):
            return item
        ready = {key: value for key, value in item.items() if key in link_fields()}
        ready["collectionId"] = self.ctx.settings.collection_id
        if "externalId" in ready:
            ready["externalId"] = self.ctx.fresh("st")
        if isinstance(ready.get("expiresAt"), str) and not is_future(ready["expiresAt"]):
            ready["expiresAt"] = FUTURE
        if not self.ctx.settings.strict:
            ready = plain(ready)
        if isinstance(ready.get("geo"), dict):
            ready["geo"] = {
                COUNTRY_CODES[i % len(COUNTRY_CODES)]: url
                for i, url in enumerate(ready["geo"].values())
            }
        return {key: value for key, value in ready.items() if key not in self.ctx.locked_fields}

    def run(self) -> None:
        """Draw positive then negative cases, recording each check's outcome; stop if told to."""
        operation = operation_for(self.ctx)
        for positive in (True, False):
            self.run_mode(operation, positive)
            if self.stopped is not None:
                self.ctx.stop = self.stopped
                return

    def run_mode(self, operation: Operation, positive: bool) -> None:
        """Run one mode's generated cases under the run's seed."""
        settings = self.ctx.settings
        label = "positive" if positive else "negative"

        @hypothesis.seed(derived_seed(settings.seed, f"schemathesis.{label}"))
        @hypothesis.settings(
            max_examples=settings.max_examples,
            database=None,
            deadline=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            verbosity=hypothesis.Verbosity.quiet,
        )
        @hypothesis.given(operation.cases(positive))
        def generated(case: GeneratedCase) -> None:
            self.one_case(case)

        generated()

    def one_case(self, case: GeneratedCase) -> None:
        """Send one case (waiting out 429s) and record every check's outcome on the answer."""
        if self.stopped is not None:
            return
        self.cases += 1
        if self.cases % PROGRESS_EVERY == 0:
            self.ctx.tell(f"schemathesis: {self.cases} cases")
        if case.positive and isinstance(case.body, list):
            case.body = [self.ready(item) for item in case.body]
        elif not case.positive and not judges_invalid(case.body, self.ctx.settings.strict):
            self.skipped += 1
            return
        try:
            answer = self.call(case)
            if answer is None:
                return
            outcomes = case.validate(answer, self.ctx.transport.session, self.ctx.settings.timeout)
        except (RunStoppedError, ServerUnreachableError) as stop:
            self.stopped = stop
            return
        except requests.RequestException as error:
            finding = Finding(
                f"no HTTP answer: {type(error).__name__}", "an HTTP answer", curl=case.curl()
            )
            self.ctx.verdict.failed("schemathesis.not_a_server_error", finding)
            return
        exchange = self.exchange(answer)
        self.ctx.observe(exchange)
        for outcome in outcomes:
            behaviour = f"schemathesis.{outcome.name}"
            if outcome.failure is None:
                self.ctx.verdict.passed(behaviour)
            else:
                finding = Finding(
                    outcome.failure, self.documented(outcome.name), exchange, exchange.sent.curl()
                )
                self.ctx.verdict.failed(behaviour, finding)

    def call(self, case: GeneratedCase) -> Answer | None:
        """Send the case; on 429 validate it, wait and retry; None when it stays rate limited."""
        for _ in range(RATE_LIMIT_RETRIES + 1):
            answer = case.send(self.ctx.transport.session, self.ctx.settings.timeout)
            if answer.status != 429:
                return answer
            exchange = self.exchange(answer)
            self.ctx.transport.on_rate_limited(exchange)
            self.ctx.transport.wait_out(exchange.received)
        return None

    @staticmethod
    def documented(name: str) -> str:
        """Return what the spec says, for a failure of check ``name``."""
        return SCHEMATHESIS_BEHAVIOURS[name][0]

    @staticmethod
    def exchange(answer: Answer) -> Exchange:
        """Return a Schemathesis answer as the suite's Exchange."""
        sent = Sent(answer.request_url, answer.request_headers, answer.request_body)
        return Exchange(sent, Received(answer.status, answer.headers, answer.body))


def check_with_schemathesis(ctx: RunContext) -> None:
    """Run Schemathesis with every applicable check over the kit's spec."""
    SchemathesisRun(ctx).run()


CHECKS_TO_RUN = (check_with_schemathesis,)
