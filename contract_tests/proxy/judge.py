"""The proxy's one door to the suite: each exchange judged by the suite's own expectations.

Everything the proxy knows of Hoko's rules comes through this module, from
``contract_tests.expectations`` (statuses, error texts, 201 bodies, rate-limit headers),
``contract_tests.fuzzing`` (the request judge, free points left out), ``contract_tests.context``
(uniqueness across responses), ``contract_tests.rules`` (the coverage matrix's valid edges and
the plan-gated fields), ``contract_tests.behaviours`` (the behaviour ids) and
``contract_tests.report`` (the failure text and JUnit XML).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import openapi
from contract_tests import expectations, fuzzing, report, rules
from contract_tests.behaviours import BEHAVIOURS, Finding, Observation, Verdict
from contract_tests.context import DOCUMENTED_201
from contract_tests.proxy import attribution, bodies, offload
from contract_tests.proxy.masking import is_secret, masked
from contract_tests.proxy.offload import SchemaProcess
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Traffic
from contract_tests.proxy.violations import Violation
from contract_tests.transport import Counters, Exchange, Received, Sent, json_value

# The named request examples of the spec and the behaviour each one documents.
EXAMPLE_BEHAVIOURS = {
    "documentedWithPlanFeatures": "create.documented-example",
    "documentedWithMetadata": "create.metadata-example",
}
# Headers that say nothing about the contract and only lengthen a reproduction.
UNSHOWN = frozenset({"host", "content-length", "user-agent", "accept", "accept-encoding"})
MAX_FINDINGS = 20  # per behaviour in the JUnit report; the violation log has its own bound
KIND_WALK_LIMIT = 100  # items of a clean 201 whose strings are walked to name its kind
UNIQUE = "a unique id and shortUrl per link (decision 5)"
REJECTED, ACCEPTED = "matrix.rejected", "matrix.accepted"
# The request judge's faults that sit on one rule of one field: a cell of the coverage matrix.
FIELD_RULES = frozenset({"invalid.null", "invalid.url", "invalid.wrong-value"})
DOCUMENTED_429 = "429 with retryAfter and X-RateLimit-* (Status Codes > 429; decision 7)"


@dataclass
class KeyHistory:
    """What the upstream showed about one key: what it accepted and what it refused."""

    accepted_external_ids: set[str] = field(default_factory=set)
    refused_external_ids: set[str] = field(default_factory=set)
    collections: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    largest: int = 0
    count: attribution.Count | None = None  # the window its latest answer showed


class UniquenessLedger:
    """The ids and shortUrls given so far, checked by the suite's own cross-response rule."""

    def __init__(self) -> None:
        self.seen_ids: set[str] = set()
        self.seen_short_urls: set[str] = set()

    def repeated(self, keys: expectations.LinkKeys) -> list[str]:
        """Return how a response's links repeat an id or shortUrl given earlier."""
        return expectations.repeated_link_problems(keys, self.seen_ids, self.seen_short_urls)

    def remember(self, keys: expectations.LinkKeys) -> None:
        """Count a response's ids and shortUrls as given."""
        expectations.remember_links(keys, self.seen_ids, self.seen_short_urls)


NOT_YET: Any = object()  # a part of a reading not read yet


class Reading:
    """A request body as the judge reads it, each part once: early, for a big body."""

    def __init__(self, body: bytes | None, strict: bool) -> None:
        self.body = body
        self.items = _request_items(body)
        self._strict = strict
        self._schema_fault: Any = NOT_YET
        self._external_ids: Any = NOT_YET
        self._collection_ids: Any = NOT_YET
        self._urls: Any = NOT_YET
        self._fields: Any = NOT_YET
        self._echoes: Any = NOT_YET
        self._comparable: Any = NOT_YET

    def schema_fault(self) -> tuple[str, str] | None:
        """Return the behaviour and reason the schema refuses the array for, or None."""
        if self._schema_fault is NOT_YET:
            self._schema_fault = _schema_fault(self.items, self._strict)
        return cast(tuple[str, str] | None, self._schema_fault)

    def external_ids(self) -> list[str]:
        """Return the string externalIds of the array's items, in order."""
        if self._external_ids is NOT_YET:
            self._external_ids = bodies.external_ids(self.items)
        return cast(list[str], self._external_ids)

    def collection_ids(self) -> set[str]:
        """Return the collectionIds of a valid array's items, as text."""
        if self._collection_ids is NOT_YET:
            self._collection_ids = {str(item.get("collectionId")) for item in self.items}
        return cast(set[str], self._collection_ids)

    def urls(self) -> list[str]:
        """Return the urls of a valid array's items, in order."""
        if self._urls is NOT_YET:
            self._urls = [item["url"] for item in self.items if "url" in item]
        return cast(list[str], self._urls)

    def fields(self) -> set[str]:
        """Return the link fields any item of a valid array sets."""
        if self._fields is NOT_YET:
            self._fields = expectations.link_fields().intersection(set().union(*self.items))
        return cast(set[str], self._fields)

    def echoes(self) -> Any:
        """Return what a valid array's links must echo (``expectations.sent_echoes``)."""
        if self._echoes is NOT_YET:
            self._echoes = expectations.sent_echoes(self.items)
        return self._echoes

    def comparable(self) -> bytes:
        """Return the body as it is compared with the spec's examples (``bodies.comparable``)."""
        if self._comparable is NOT_YET:
            self._comparable = bodies.comparable(self.items)
        return cast(bytes, self._comparable)

    def read_all(self) -> None:
        """Read now every part a judgement of this body will ask for."""
        if isinstance(self.items, list) and self.schema_fault() is None:
            self.external_ids()
            self.collection_ids()
            self.urls()
            self.fields()
            self.echoes()


@dataclass
class Checked:
    """The outcome of the checks of one exchange: behaviour, problems, what is documented."""

    rows: list[tuple[str, list[str], str]] = field(default_factory=list)

    def add(self, behaviour: str, problems: list[str], documented: str) -> None:
        """Record one check."""
        self.rows.append((behaviour, problems, documented))


class Judge:
    """Judges exchanges one at a time, keeping what uniqueness across exchanges needs."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.strict = settings.strict
        self.verdict = Verdict(settings.strict)
        self.counters = Counters()
        self.judged = 0
        self.ledger = UniquenessLedger()
        self.keys: dict[str, KeyHistory] = {}
        self.collections = frozenset(c.lower() for c in settings.collections)
        self.no_scope_keys = frozenset(settings.no_scope_keys)
        self.unknown_keys = frozenset(_documented_unknown_keys())
        self.examples = _documented_examples()
        self.example_sizes = {len(json.loads(text)) for text in self.examples}
        self._reading = NO_READING  # the request body of the exchange being judged
        self._spent: tuple[Exchange, Reading] | None = None
        # What the latest judgement learnt for the next ones, kept once its answer has gone.
        self._lesson: Callable[[], None] | None = None
        self.link_fields = expectations.link_fields()
        self.gated_fields = frozenset(rules.plan_features())
        self.edges = [(c.field, c.value, c.name) for c in rules.cells() if not c.reject]
        # On one CPU a second process would only take turns with this one.
        self.schema_process = SchemaProcess(settings.strict, enabled=offload.cpus() > 1)

    def read_ahead(self, traffic: Traffic) -> None:
        """Read a whole request body while the upstream answers it, all a judgement will ask."""
        if len(traffic.request_body or b"") >= offload.STARTED_BY:
            self.schema_process.start()  # a big request may bring a big answer
        reading = Reading(traffic.request_body, self.strict)
        reading.read_all()
        traffic.read_ahead = reading

    def forget(self) -> None:
        """Keep what the latest judgement learnt, and let go of what it read."""
        self._learn()
        self._spent = None

    def _learn(self) -> None:
        lesson, self._lesson = self._lesson, None
        if lesson is not None:
            lesson()

    def close(self) -> None:
        """Stop the process that checks big answers against the schema."""
        self.schema_process.stop()

    def judge(self, traffic: Traffic) -> list[Violation]:
        """Return the violations of one ``POST /api/links`` exchange."""
        self._learn()  # the previous answer may not have gone yet: its lesson is needed now
        if traffic.status is None or traffic.response_body is None:
            return []  # no answer to judge: the client got the proxy's 502 or 504
        first_values = traffic.first_values()
        body = bodies.decoded(traffic, first_values.get(b"content-encoding"))
        if body is None:
            return []  # a Content-Encoding the proxy cannot read
        self.judged += 1
        self.counters.requests += 1
        early, traffic.read_ahead = traffic.read_ahead, None  # the traffic outlives its judgement
        sent = traffic.request_body
        fresh = not (isinstance(early, Reading) and early.body is sent)
        self._reading = Reading(sent, self.strict) if fresh else cast(Reading, early)
        exchange = _exchange(traffic, body)
        try:
            checked = Checked()
            credentials = bodies.credentials(exchange.sent.headers)
            self._check(exchange, credentials, checked)
            self._counted(traffic, first_values, exchange, credentials, checked)
            return self._violations(exchange, checked)
        finally:
            # Freeing the JSON of a 10,000-link exchange takes milliseconds: it waits for
            # forget(), which the proxy calls once the answer has gone back.
            self._spent = (exchange, self._reading)
            self._reading = NO_READING

    def write_junit(self, path: str) -> None:
        """Write one JUnit test case per behaviour, as the suite does."""
        report.write_junit(self.verdict, self.counters, path)

    def _check(
        self, exchange: Exchange, credentials: tuple[str | None, str | None], checked: Checked
    ) -> None:
        received = exchange.received
        status = received.status
        scheme, key = credentials
        expected = self._expected_refusal(scheme, key)
        if status not in openapi.STATUS_CODES and "retry-after" in received.headers:
            problem = f"status {status} with Retry-After: a refusal for the rate limit is a 429"
            checked.add("rate-limit.429", [problem], DOCUMENTED_429)
        elif expected is not None:
            want, behaviour, why = expected
            if status == 400 and self._invalid(self._reading, key or "") is not None:
                problem = (
                    f"400 for a request that needed {want}: the body was judged before the key"
                )
                checked.add("auth.before-body", [problem], f"{want} before the body (decision 1)")
            else:
                problems = expectations.error_problems(received, want, self.strict)
                checked.add(behaviour, problems, f"{want}: {why}")
                if status == 429 and want == 401:
                    problem = f"429 for a request with {why}: the key was not checked first"
                    checked.add("order.checks", [problem], "401 before 429 (decision 1)")
        elif status == 401:
            checked.add("auth.unknown-key", self._error(received, 401), "401: an unknown key")
        elif status == 403:
            problems = self._error(received, 403)
            checked.add("auth.missing-scope", problems, "403: missingScopes names linksWrite")
        else:
            self._rate_headers(exchange, checked)
            if status == 429:
                checked.add("rate-limit.429", self._error(received, 429), DOCUMENTED_429)
            else:
                self._body(exchange, key or "", checked)

    def _expected_refusal(self, scheme: str | None, key: str | None) -> tuple[int, str, str] | None:
        if scheme is None:
            return 401, "auth.missing-header", "no Authorization header"
        if scheme.lower() != "bearer" or not key:
            return 401, "auth.non-bearer", "a scheme other than Bearer"
        if key in self.unknown_keys:
            return 401, "auth.unknown-key", "the documentation's unknown key"
        if key in self.no_scope_keys:
            return 403, "auth.missing-scope", "a key without linksWrite"
        return None

    def _error(self, received: Received, status: int) -> list[str]:
        return expectations.error_problems(received, status, self.strict)

    def _rate_headers(self, exchange: Exchange, checked: Checked) -> None:
        received = exchange.received
        if any(name in received.headers for name in expectations.RATE_HEADERS):
            problems = expectations.rate_header_problems(received)
            checked.add("rate-limit.headers", problems, "non-negative integers (decision 7)")
        if self.strict and received.status in (201, 400, 429):
            missing = [n for n in expectations.RATE_HEADERS if n not in received.headers]
            problems = [f"{received.status} without {name}" for name in missing]
            checked.add("strict.rate-headers-everywhere", problems, "decision 7")

    def _body(self, exchange: Exchange, key: str, checked: Checked) -> None:
        received, status = exchange.received, exchange.received.status
        history = self.keys.setdefault(key, KeyHistory())
        reading = self._reading
        items = reading.items
        refusal = self._invalid(reading, key)
        if status == 400 and isinstance(items, list):
            history.refused_external_ids.update(reading.external_ids())
        if refusal is not None:
            behaviour, why = refusal
            if status == 201:
                checked.add(behaviour, [f"201 for an invalid request: {why}"], f"400: {why}")
                if behaviour in FIELD_RULES:
                    problem = f"201 for a link breaking one rule of one field: {why}"
                    checked.add(REJECTED, [problem], f"400: {why} (decision 2)")
            else:
                checked.add(behaviour, self._error(received, 400), f"400: {why}")
            return
        if refusal is None and not isinstance(items, list):
            return  # not judged: the request judge could not read the body
        if status == 201:
            self._created(exchange, items, history, checked)
        elif status == 400:
            checked.add(
                self._kind(items), self._error(received, 400), "400 in the documented shape"
            )
            wrongly = self._refused_wrongly(exchange, items, history)
            if wrongly is not None:
                checked.add(wrongly[0], [wrongly[1]], DOCUMENTED_201)
                # A free point refused under --strict explains the 400 alone.
                evidence = (
                    []
                    if wrongly[0].startswith("strict.")
                    else self._refusal_evidence(items, history)
                )
                for behaviour, problem in evidence:
                    checked.add(behaviour, [problem], DOCUMENTED_201)
        else:
            problem = f"status {status} for a valid request, documented 201 (or 400)"
            checked.add(self._kind(items), [problem], DOCUMENTED_201)

    def _created(
        self,
        exchange: Exchange,
        items: list[Any],
        history: KeyHistory,
        checked: Checked,
    ) -> None:
        reading = self._reading
        received = exchange.received
        # Handed over before the body is parsed here, so both parse it at once.
        offloaded = self.schema_process.check(received.body)
        links = received.json()
        keys = expectations.link_keys(links) if isinstance(links, list) else None
        problems = expectations.created_problems(
            items,
            received,
            self.strict,
            reading.echoes(),
            schema_verdict=offloaded,  # None from a failed process: checked here
            keys=keys,
        )
        if problems and not self.strict:
            problems = _without_free_echoes(problems, items)
        # Naming the kind of a big clean batch walks every string for nothing.
        specific = problems or len(items) <= KIND_WALK_LIMIT
        checked.add(
            self._kind(items) if specific else "create.response-body", problems, DOCUMENTED_201
        )
        edge_echoes = (
            attribution.edge_echoes(items, problems, self.edges) if problems and specific else []
        )
        if edge_echoes:
            checked.add(ACCEPTED, edge_echoes, DOCUMENTED_201)
        if keys is None:
            return
        checked.add("create.unique-links", self.ledger.repeated(keys), UNIQUE)
        # Learnt once the answer has gone: the verdict does not wait for it.
        self._lesson = functools.partial(self._accepted, keys, history, reading, len(items))
        if self.strict:
            pairs = [
                (i, link)
                for i, link in zip(items, links, strict=False)
                if isinstance(link, Mapping)
            ]
            strict = [
                p for item, link in pairs for p in expectations.strict_echo_problems(item, link)
            ]
            unknown = [p for p in strict if "unknown property" in p]
            checked.add("strict.unknown-properties", unknown, "unknown properties not echoed")
            missing = [p for p in strict if p not in unknown]
            checked.add("strict.echo-every-field", missing, "every sent field echoed")

    def _accepted(
        self, keys: expectations.LinkKeys, history: KeyHistory, reading: Reading, size: int
    ) -> None:
        """Remember what a 201 showed: its links, and what this key may send."""
        self.ledger.remember(keys)
        history.accepted_external_ids.update(reading.external_ids())
        history.largest = max(history.largest, size)
        # A valid request's items are objects whose collectionIds are strings.
        history.urls.update(reading.urls())
        history.fields.update(reading.fields())
        history.collections.update(map(str.lower, reading.collection_ids()))

    def _invalid(self, reading: Reading, key: str) -> tuple[str, str] | None:
        """Return the behaviour and the reason a request (its parsed body) must be refused."""
        items = reading.items
        if items is bodies.UNREADABLE:
            return "invalid.body-shape", "the body is missing or not JSON"
        if not isinstance(items, list):
            return "invalid.body-shape", "the body is not an array"
        if self._documented() == "invalid.documented-example":
            return "invalid.documented-example", "the documented 400 request"
        schema_fault = reading.schema_fault()
        if schema_fault is not None:
            return schema_fault
        external = reading.external_ids()
        if len(set(external)) != len(external):
            return "external-id.unique-within", "an externalId repeated within the batch"
        if self.settings.max_batch is not None and len(items) > self.settings.max_batch:
            return "batch.limits", f"{len(items)} links, over --max-batch {self.settings.max_batch}"
        if self.collections:
            unknown = reading.collection_ids() - self.collections
            unknown = {c for c in unknown if c.lower() not in self.collections}
            if unknown:
                return "invalid.unknown-collection", f"collectionId {sorted(unknown)[0]} is unknown"
        taken = set(external) & self.keys.get(key, KeyHistory()).accepted_external_ids
        if taken:
            return "external-id.unique-across", f"externalId {sorted(taken)[0]!r} is already used"
        return None

    def _documented(self) -> str | None:
        """Return the behaviour of the spec's example this request replays, if it replays one."""
        reading = self._reading
        if len(reading.items) not in self.example_sizes:
            return None  # a 10,000-link batch is not serialised again to learn that
        return self.examples.get(reading.comparable())

    def _kind(self, items: list[Any]) -> str:
        """Return the behaviour a valid request stands for, most specific first."""
        documented = self._documented()
        if documented is not None:
            return documented
        dicts = [item for item in items if isinstance(item, dict)]
        if any(self.link_fields <= set(item) for item in dicts):
            return "create.every-field"
        if any(bodies.is_edge(text) for item in dicts for text in bodies.strings(item)):
            return "create.edge-strings"
        if self.settings.max_batch is not None and len(items) == self.settings.max_batch:
            return "batch.limits"
        return "create.response-body"

    def _refused_wrongly(
        self, exchange: Exchange, items: list[Any], history: KeyHistory
    ) -> tuple[str, str] | None:
        """Return why a 400 for this valid request breaks the contract, or None when it may not."""
        if bodies.content_type(exchange.sent.headers).split(";")[0].strip() != "application/json":
            return None  # decision 13: a body sent as anything else may be refused
        if not fuzzing.judge(True).is_valid(items) and not self.strict:
            return None  # a free point (decisions 9, 10): refusing it is allowed
        known_collections = self.collections or history.collections
        limit = self.settings.max_batch or history.largest
        dicts = [item for item in items if isinstance(item, dict)]
        if not dicts or len(items) > limit:
            return None
        if any(str(item.get("collectionId")).lower() not in known_collections for item in dicts):
            return None
        # Plan-gated fields: only those this key has had accepted prove the plan allows them.
        used = {name for item in dicts for name in item if name in self.gated_fields}
        if not used <= history.fields:
            return None
        unknown = any(set(item) - self.link_fields for item in dicts)
        past = any(
            isinstance(item.get("expiresAt"), str) and not expectations.is_future(item["expiresAt"])
            for item in dicts
        )
        if (unknown or past) and not self.strict:
            return None  # decisions 3 and 8: a server may refuse these
        refused_before = set(self._reading.external_ids()) & history.refused_external_ids
        why = "400 for a valid request like those this server accepted for this key"
        behaviour = self._kind(items)
        if unknown:
            return "strict.unknown-properties", f"{why}, but for unknown properties"
        if past:
            return "strict.past-expiry", f"{why}, but for an expiresAt in the past"
        if behaviour in ("create.response-body", "batch.limits") and refused_before:
            first = sorted(refused_before)[0]
            return "batch.atomic", f"{why}: externalId {first!r} was only in a rejected batch"
        if behaviour == "create.response-body":
            behaviour = "schemathesis.positive_data_acceptance"
        return behaviour, why

    def _refusal_evidence(self, items: list[Any], history: KeyHistory) -> list[tuple[str, str]]:
        """Return the rules a wrongly refused request points at, read from what it carried."""
        found = attribution.refusal_evidence(
            items, history.accepted_external_ids, history.urls, self.edges
        )
        limit = self.settings.max_batch
        if limit is not None and len(items) == limit > history.largest:
            found.append(
                ("batch.limits", f"400 for a valid request of exactly --max-batch {limit} links")
            )
        return found

    def _counted(
        self,
        traffic: Traffic,
        first_values: Mapping[bytes, str],
        exchange: Exchange,
        credentials: tuple[str | None, str | None],
        checked: Checked,
    ) -> None:
        """Check that Remaining fell by one since the key's previous answer (decision 1)."""
        scheme, key = credentials
        if scheme is None or scheme.lower() != "bearer" or not key or key in self.unknown_keys:
            return
        if exchange.received.status not in (201, 400, 403):
            return  # a 401 is not counted; a 429 shows the spent window
        history = self.keys.setdefault(key, KeyHistory())
        count = attribution.count_of(traffic, first_values)
        problem = None if count is None else attribution.miscounted(history.count, count)
        history.count = count
        if problem is not None:
            documented = "every authenticated request counts once (decision 1)"
            checked.add("rate-limit.remaining-counts", [problem], documented)

    def _violations(self, exchange: Exchange, checked: Checked) -> list[Violation]:
        found = []
        curl = ""
        for behaviour_id, problems, documented in checked.rows:
            observation = self.verdict.observations.get(behaviour_id)
            if not problems:
                if observation is not None:
                    self.verdict.passed(behaviour_id)
                continue
            curl = curl or _masked_sent(exchange.sent).curl()
            finding = Finding("; ".join(problems), documented, exchange, curl)
            if observation is not None:
                if len(observation.findings) < MAX_FINDINGS:
                    self.verdict.failed(behaviour_id, finding)
                else:
                    observation.checked += 1
            behaviour = BEHAVIOURS[behaviour_id]
            text = report.failure_text(Observation(behaviour, findings=[finding]))
            found.append(
                Violation(
                    behaviour=behaviour_id,
                    title=behaviour.title,
                    section=behaviour.section,
                    what=finding.problem,
                    sent=exchange.sent.describe(),
                    received=exchange.received.describe(),
                    documented=documented,
                    reproduce=curl,
                    text=text,
                )
            )
        return found


def _without_free_echoes(problems: list[str], items: list[Any]) -> list[str]:
    """Return ``problems`` without those about echoes of the request's own free points.

    The suite never sends a free point outside --strict, so its 201 check reads every echo by
    the full schema; live traffic may carry one (an uppercase scheme, an unknown utm key) that
    the server accepted and echoed unchanged, as it may.
    """
    free = {
        f"body at /{path[0]}/{path[1]}"
        for error in fuzzing.judge(True).iter_errors(items)
        if len(path := list(error.instance_path)) >= 2
    }
    return [p for p in problems if not any(p.startswith((f + ":", f + "/")) for f in free)]


def answer_schema_problems(body: bytes, strict: bool) -> list[str]:
    """Return the schema problems of a 201 body as the suite's 201 check finds them."""
    return expectations.schema_problems(201, json_value(body), strict)


def _fault(error: Any) -> str:
    path, keyword = list(error.instance_path), error.schema_path[-1] if error.schema_path else ""
    if not path:
        return {"minItems": "invalid.empty-array", "maxItems": "batch.limits"}.get(
            keyword, "invalid.body-shape"
        )
    if len(path) == 1:
        return "invalid.required-field" if keyword == "required" else "invalid.body-shape"
    if error.instance is None:
        return "invalid.null"
    field_name = path[1]
    in_url = field_name in rules.fields_of_kind("url") or (field_name == "geo" and len(path) == 3)
    if in_url and keyword in ("pattern", "format"):
        return "invalid.url"
    return "invalid.wrong-value"


def _strict_fault(error: Any) -> tuple[str, str]:
    keyword = error.schema_path[-1] if error.schema_path else ""
    path = list(error.instance_path)
    if keyword in expectations.FREE_BOUNDS:
        return "strict.max-lengths", _describe(error)
    if len(path) >= 2 and path[1] == "utm":
        return "strict.utm-keys", _describe(error)
    return "strict.url-form", _describe(error)


def _describe(error: Any) -> str:
    where = "/".join(map(str, error.instance_path))
    return f"body at /{where}: {error.message[:200]}"


def _documented_examples() -> dict[bytes, str]:
    examples = {
        bodies.comparable(value): EXAMPLE_BEHAVIOURS[name]
        for name, value in openapi.request_examples().items()
        if name in EXAMPLE_BEHAVIOURS
    }
    for replayable in openapi.replayable_requests().values():
        if replayable.get("status") == 400 and "body" in replayable:
            examples[bodies.comparable(replayable["body"])] = "invalid.documented-example"
    return examples


def _documented_unknown_keys() -> Iterator[str]:
    """Yield the keys the spec's replayable 401 requests name literally (not placeholders)."""
    for replayable in openapi.replayable_requests().values():
        scheme, _, key = str(replayable.get("authorization", "")).partition(" ")
        if replayable.get("status") == 401 and scheme == "Bearer" and key and "<" not in key:
            yield key


def _schema_fault(items: list[Any], strict: bool) -> tuple[str, str] | None:
    try:
        judge = fuzzing.judge(False)
        # Told without building the error iterator, as nearly every request is valid.
        errors = [] if judge.is_valid(items) else list(judge.iter_errors(items))
        if not errors and strict:
            strict_errors = list(fuzzing.judge(True).iter_errors(items))
            return _strict_fault(strict_errors[0]) if strict_errors else None
    except (ValueError, TypeError, OverflowError):
        return "invalid.body-shape", "the body holds a value no schema validator reads"
    if not errors:
        return None
    chosen = next((e for e in errors if e.instance is None), errors[0])
    return _fault(chosen), _describe(chosen)


def _request_items(body: bytes | None) -> Any:
    """Return the JSON of a request body, or UNREADABLE."""
    if not body:
        return bodies.UNREADABLE
    try:
        return json_value(body)
    except (ValueError, RecursionError):  # nesting too deep to read is no array of links either
        return bodies.UNREADABLE


@functools.lru_cache(maxsize=1024)  # clients send the same few header names again and again
def _request_header_role(raw_name: bytes) -> tuple[str, bool, bool]:
    """Return a request header's name as text, whether it is shown, whether to mask it here."""
    name = raw_name.decode("latin-1")
    lowered = name.lower()
    # Sent.describe masks Authorization itself; every other credential is masked here.
    return name, lowered not in UNSHOWN, is_secret(name) and lowered != "authorization"


@functools.lru_cache(maxsize=1024)
def _response_header_name(raw_name: bytes) -> str:
    return raw_name.decode("latin-1").lower()


def _exchange(traffic: Traffic, body: bytes) -> Exchange:
    shown: dict[str, str] = {}
    for raw_name, raw_value in traffic.request_headers:
        name, is_shown, masked_here = _request_header_role(raw_name)
        if is_shown:
            value = raw_value.decode("latin-1")
            shown[name] = masked(value) if masked_here else value
    received: dict[str, str] = {}
    for raw_name, raw_value in traffic.response_headers:
        name, value = _response_header_name(raw_name), raw_value.decode("latin-1")
        received[name] = f"{received[name]}, {value}" if name in received else value
    assert traffic.status is not None
    sent = Sent(traffic.url, shown, traffic.request_body)
    return Exchange(sent, Received(traffic.status, received, body, traffic.elapsed))


def _masked_sent(sent: Sent) -> Sent:
    headers = {k: masked(v) if is_secret(k) else v for k, v in sent.headers.items()}
    return Sent(sent.url, headers, sent.body)


NO_READING = Reading(None, strict=False)  # between judgements: no body, nothing read
