"""Settings and a runner for the conformance suite against the reference implementation."""

from __future__ import annotations

from collections.abc import Callable

from contract_reference import COLLECTION, FULL_KEY, NO_SCOPE_KEY, ServerOptions, build_app
from contract_serving import serving

from contract_tests import runner
from contract_tests.settings import RunSettings

SEED = 20261125
RUN_TAG = "fixedtag"


def settings_for(base_url: str, **overrides: object) -> RunSettings:
    """Return quiet, seeded settings for the reference keys and collection."""
    values: dict[str, object] = {
        "base_url": base_url,
        "api_key": FULL_KEY,
        "no_scope_key": NO_SCOPE_KEY,
        "collection_id": COLLECTION,
        "seed": SEED,
        "max_examples": 3,
        "max_batch": 20,
        "rate_probe": 1200,
        "timeout": 10.0,
        "max_time": 120.0,
        "quiet": True,
    }
    values.update(overrides)
    return RunSettings(**values)  # type: ignore[arg-type]


RunSuite = Callable[..., runner.RunResult]


def run_against_reference(
    options: ServerOptions | None = None, **overrides: object
) -> runner.RunResult:
    """Serve the reference with ``options`` and run the suite against it."""
    with serving(build_app(options or ServerOptions())) as served:
        return runner.run(settings_for(served.url, **overrides))
