"""The suite's one door to Schemathesis: its public API only, typed for the rest of the suite.

Everything the suite asks of Schemathesis goes through here: load a spec, draw positive or
negative cases of ``POST /api/links``, send one, and run Schemathesis's checks on the answer,
each check's outcome reported under its name. Public names only (``schemathesis.openapi``,
``schemathesis.GenerationMode``, ``APIOperation.as_strategy``, ``Case.call``,
``Case.validate_response`` and its group of failures, the ``after_validate`` hook and its
``CheckResult`` list), so that every 4.x release from the lowest one the tests install works.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st

# The checks the suite runs on every answer, by their public names. `missing_required_header`
# is left out: with the key as a fixed header no generated case drops it, so it would pass
# vacuously; auth.missing-header sends those requests itself.
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "ignored_auth",
)
# Transport headers Schemathesis adds that say nothing about the request under test.
TRANSPORT_HEADERS = frozenset({"user-agent", "accept-encoding", "connection", "content-length"})


@dataclass(frozen=True)
class CheckOutcome:
    """What one Schemathesis check said about one answer: nothing, or its failure text."""

    name: str
    failure: str | None = None


@dataclass(frozen=True)
class Answer:
    """A server's answer to a generated case, with the request exactly as it went out."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    request_url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    raw: Any


class GeneratedCase:
    """One generated request: its body (positive cases may be edited before sending) and mode."""

    def __init__(self, case: Any, positive: bool, operation: Operation) -> None:
        self._case = case
        self.positive = positive
        self._operation = operation

    @property
    def body(self) -> Any:
        """The JSON body to send."""
        return self._case.body

    @body.setter
    def body(self, value: Any) -> None:
        self._case.body = value

    def curl(self) -> str:
        """Return a curl line that replays the case."""
        return str(self._case.as_curl_command(base_url=self._operation.base_url))

    def send(self, session: requests.Session, timeout: float) -> Answer:
        """Send the case through ``session``; transport errors propagate as requests raises them."""
        response = self._case.call(
            base_url=self._operation.base_url, session=session, timeout=timeout
        )
        request = response.request
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        sent_headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in TRANSPORT_HEADERS
        }
        headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
        return Answer(
            response.status_code,
            headers,
            response.content,
            str(request.url),
            sent_headers,
            body,
            response,
        )

    def validate(
        self, answer: Answer, session: requests.Session, timeout: float
    ) -> list[CheckOutcome]:
        """Run every configured check on ``answer``; one outcome per check that ran."""
        transport = {"session": session, "timeout": timeout, "base_url": self._operation.base_url}
        with self._operation.collecting() as results:
            try:
                self._case.validate_response(answer.raw, transport_kwargs=transport)
            except* AssertionError:
                pass  # each failure is also in `results`, under the name of its check
        outcomes: dict[str, CheckOutcome] = {}
        for result in results:
            failure = result.failure
            if failure is None:
                outcomes.setdefault(result.name, CheckOutcome(result.name))
            else:
                text = f"{failure.title}: {' '.join(str(failure.message).split())[:400]}"
                outcomes[result.name] = CheckOutcome(result.name, text)
        return list(outcomes.values())


class Operation:
    """``POST /api/links`` of a spec, as Schemathesis generates and checks it."""

    def __init__(
        self,
        spec: dict[str, Any],
        path: str,
        base_url: str,
        headers: Mapping[str, str],
        rejection_statuses: Sequence[str],
    ) -> None:
        self.base_url = base_url
        # A fresh config: a schemathesis.toml in the caller's directory must not change the checks.
        schema = schemathesis.openapi.from_dict(spec, config=schemathesis.Config())
        schema.config.update(base_url=base_url, headers=dict(headers))
        schema.config.generation.update(database="none")
        schema.config.checks.update(included_check_names=list(CHECK_NAMES))
        schema.config.checks.negative_data_rejection.expected_statuses = list(rejection_statuses)
        self._collected: list[Any] | None = None

        def after_validate(_context: Any, _case: Any, _response: Any, results: Any) -> None:
            if self._collected is not None:
                self._collected.extend(results)

        schema.hook("after_validate")(after_validate)
        self._operation = schema[path]["POST"]

    @contextmanager
    def collecting(self) -> Iterator[list[Any]]:
        """Gather the check results Schemathesis reports while the block runs."""
        self._collected = []
        try:
            yield self._collected
        finally:
            self._collected = None

    def cases(self, positive: bool) -> st.SearchStrategy[GeneratedCase]:
        """Return a strategy of positive (schema-valid) or negative (schema-invalid) cases."""
        mode = (
            schemathesis.GenerationMode.POSITIVE
            if positive
            else schemathesis.GenerationMode.NEGATIVE
        )
        strategy = self._operation.as_strategy(generation_mode=mode)
        return strategy.map(lambda case: GeneratedCase(case, positive, self))


def version() -> str:
    """Return the installed Schemathesis version."""
    return str(schemathesis.__version__)
