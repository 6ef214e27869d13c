"""Schemathesis over the kit's spec: examples, coverage and fuzzing, positive and negative cases."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

import hypothesis
import jsonschema_rs
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import overrides
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.specs.openapi import checks as openapi_checks

import openapi
from contract_tests.behaviours import Finding
from contract_tests.context import RunContext
from contract_tests.creation import COUNTRIES
from contract_tests.errors import RunStoppedError, ServerUnreachableError
from contract_tests.expectations import FREE_BOUNDS, FUTURE, is_future, link_fields
from contract_tests.transport import Exchange, Received, Sent

CHECKS = {
    "not_a_server_error": not_a_server_error,
    "status_code_conformance": openapi_checks.status_code_conformance,
    "content_type_conformance": openapi_checks.content_type_conformance,
    "response_headers_conformance": openapi_checks.response_headers_conformance,
    "response_schema_conformance": openapi_checks.response_schema_conformance,
    "positive_data_acceptance": openapi_checks.positive_data_acceptance,
    "negative_data_rejection": openapi_checks.negative_data_rejection,
    "missing_required_header": openapi_checks.missing_required_header,
    "ignored_auth": openapi_checks.ignored_auth,
}
MODES = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]
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


def judges_invalid(case: Any, strict: bool) -> bool:
    """Tell whether a case meant to be invalid in its body truly is, for every conforming server."""
    components = getattr(case.meta, "components", None) or {}
    for location, info in components.items():
        if getattr(location, "value", location) == "body" and info.mode.is_negative:
            body = case.body
            if isinstance(body, (bytes, bytearray, str)) or body is None:
                return True
            try:
                return not judge(strict).is_valid(body)
            except (ValueError, TypeError):
                return True
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
URL_FIELDS = ("url", "image", "expiredUrl", "ios", "android")


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """Return ``item`` with its odd-but-valid URLs, date-time and partnerId made plain."""
    made = dict(item)
    for name in URL_FIELDS:
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


@dataclass
class PreparedTest:
    """A built Hypothesis test (coverage cases take seconds to build) and the run it now serves."""

    schema: Any
    test: Any
    run: SchemathesisRun | None = None


# Built tests, by everything that shapes the cases; later runs in one process reuse them.
_PREPARED: dict[tuple[Any, ...], PreparedTest] = {}


def prepared_test(ctx: RunContext) -> PreparedTest:
    """Return the test for ``ctx``'s settings, building it on first use."""
    settings = ctx.settings
    key = (settings.max_batch, settings.max_examples, settings.seed, settings.api_key)
    if key in _PREPARED:
        return _PREPARED[key]
    schema = schemathesis.openapi.from_dict(generation_spec(ctx))
    schema.config.update(
        base_url=settings.base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {settings.api_key}"},
    )
    schema.config.generation.update(database="none")
    schema.config.checks.negative_data_rejection.expected_statuses = ["400", "401", "403"]
    holder = PreparedTest(schema, None)

    def map_case(_context: Any, case: Any) -> Any:
        return holder.run.map_case(case) if holder.run is not None else case

    def one_case(case: Any) -> None:
        if holder.run is not None:
            holder.run.one_case(case)

    schema.hook("map_case")(map_case)
    operation = schema[openapi.LINKS_PATH]["POST"]
    hypothesis_settings = hypothesis.settings(
        max_examples=settings.max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    holder.test = create_test(
        operation=operation,
        test_func=one_case,
        config=HypothesisTestConfig(
            project=schema.config,
            modes=MODES,
            settings=hypothesis_settings,
            apply_ci_profile=False,
            override=overrides.with_config_headers(schema.config, operation=operation),
            seed=derived_seed(settings.seed, "schemathesis"),
        ),
    )
    _PREPARED[key] = holder
    return holder


class SchemathesisRun:
    """One Schemathesis pass whose cases carry the configured collection and fresh externalIds."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.stopped: RunStoppedError | ServerUnreachableError | None = None
        self.base_url = ctx.settings.base_url.rstrip("/")
        self.cases = 0
        # Negative cases whose only fault is a point the contract leaves free.
        self.skipped = 0

    def map_case(self, case: Any) -> Any:
        """Give positive cases the configured collection and a never-used externalId per item."""
        meta = case.meta
        if meta is not None and meta.generation.mode.is_positive and isinstance(case.body, list):
            case.body = [self.ready(item) for item in case.body]
        return case

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
                COUNTRIES[i % len(COUNTRIES)]: url for i, url in enumerate(ready["geo"].values())
            }
        return ready

    def run(self) -> None:
        """Run every phase once, recording each check's outcome; re-raise a stop at the end."""
        prepared = prepared_test(self.ctx)
        prepared.run = self
        try:
            prepared.test()
        finally:
            prepared.run = None
        if self.stopped is not None:
            self.ctx.stop = self.stopped

    def one_case(self, case: Any) -> None:
        """Send one case (waiting out 429s) and run every check on the answer."""
        if self.stopped is not None:
            return
        self.cases += 1
        if self.cases % PROGRESS_EVERY == 0:
            self.ctx.tell(f"schemathesis: {self.cases} cases")
        self.map_case(case)
        if not judges_invalid(case, self.ctx.settings.strict):
            self.skipped += 1
            return
        try:
            response = self.call(case)
        except (RunStoppedError, ServerUnreachableError) as stop:
            self.stopped = stop
            return
        except requests.RequestException as error:
            finding = Finding(
                f"no HTTP answer: {type(error).__name__}",
                "an HTTP answer",
                curl=case.as_curl_command(),
            )
            self.ctx.verdict.failed("schemathesis.not_a_server_error", finding)
            return
        if response is None:
            return
        for name, check in CHECKS.items():
            self.validate(case, response, name, check)

    def call(self, case: Any) -> Any:
        """Call the case; on 429 validate it, wait and retry; None when it stays rate limited."""
        session = self.ctx.transport.session
        for _ in range(RATE_LIMIT_RETRIES + 1):
            response = case.call(
                base_url=self.base_url, session=session, timeout=self.ctx.settings.timeout
            )
            if response.status_code != 429:
                return response
            received = self.received(response)
            self.ctx.transport.on_rate_limited(Exchange(self.sent(response), received))
            self.ctx.transport.wait_out(received)
        return None

    def validate(self, case: Any, response: Any, name: str, check: Any) -> None:
        """Run one check and record its outcome under its behaviour."""
        behaviour = f"schemathesis.{name}"
        transport_kwargs = {
            "session": self.ctx.transport.session,
            "timeout": self.ctx.settings.timeout,
            "base_url": self.base_url,
        }
        try:
            case.validate_response(response, checks=[check], transport_kwargs=transport_kwargs)
        except FailureGroup as group:
            for failure in group.exceptions:
                problem = f"{failure.title}: {' '.join(str(failure.message).split())[:400]}"
                exchange = Exchange(self.sent(response), self.received(response))
                self.ctx.verdict.failed(
                    behaviour,
                    Finding(problem, self.documented(name), exchange, exchange.sent.curl()),
                )
        except (RunStoppedError, ServerUnreachableError) as stop:
            self.stopped = stop
        except requests.RequestException:
            self.ctx.verdict.note(behaviour, "a follow-up request of the check got no answer")
        else:
            self.ctx.verdict.passed(behaviour)

    @staticmethod
    def documented(name: str) -> str:
        """Return what the spec says, for a failure of check ``name``."""
        from contract_tests.behaviours import BEHAVIOURS

        return BEHAVIOURS[f"schemathesis.{name}"].title

    @staticmethod
    def sent(response: Any) -> Sent:
        """Return the request behind a Schemathesis response."""
        request = response.request
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("user-agent", "accept-encoding", "connection", "content-length")
        }
        return Sent(str(request.url), headers, body)

    @staticmethod
    def received(response: Any) -> Received:
        """Return a Schemathesis response as the suite's Received."""
        headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
        return Received(response.status_code, headers, response.content, response.elapsed)


def check_with_schemathesis(ctx: RunContext) -> None:
    """Run Schemathesis with every applicable check over the kit's spec."""
    SchemathesisRun(ctx).run()


CHECKS_TO_RUN = (check_with_schemathesis,)
