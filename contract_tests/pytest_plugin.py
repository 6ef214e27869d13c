"""Pytest plugin that lets ``pytest --pyargs contract_tests`` target any server.

Loaded by every pytest run in the environment, so it only adds ``--hoko-*`` options and a
session fixture; nothing is imported or sent until a test asks for ``hoko_contract_result``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from contract_tests.runner import RunResult
    from contract_tests.settings import RunSettings

# option -> (RunSettings field, type, help)
OPTIONS: dict[str, tuple[str, type, str]] = {
    "--hoko-base-url": ("base_url", str, "server under test (env HOKO_BASE_URL)"),
    "--hoko-api-key": ("api_key", str, "key with linksWrite (env HOKO_API_KEY)"),
    "--hoko-no-scope-key": (
        "no_scope_key",
        str,
        "valid key without linksWrite (env HOKO_NO_SCOPE_KEY)",
    ),
    "--hoko-collection-id": ("collection_id", str, "existing collection (env HOKO_COLLECTION_ID)"),
    "--hoko-seed": ("seed", int, "same seed, same requests"),
    "--hoko-max-examples": ("max_examples", int, "generated cases per phase"),
    "--hoko-max-batch": ("max_batch", int, "links the key may send per request"),
    "--hoko-timeout": ("timeout", float, "seconds per request"),
    "--hoko-max-time": ("max_time", float, "ceiling for the whole run, in seconds"),
    "--hoko-rate-probe": ("rate_probe", int, "requests spent looking for a 429"),
    "--hoko-plan-features": (
        "plan_features",
        str,
        "comma-separated features of the key's plan, '' for none (default: all)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--hoko-*`` options (prefixed so they never clash with pytest-base-url)."""
    group = parser.getgroup("hoko-contract", "Hoko POST /api/links conformance suite")
    for option, (_, kind, text) in OPTIONS.items():
        group.addoption(option, type=kind, default=None, help=text)
    group.addoption(
        "--hoko-strict", action="store_true", help="also fail on points the spec marks free"
    )


def settings_from_config(config: pytest.Config) -> RunSettings:
    """Return the run's settings from the ``--hoko-*`` options, else the HOKO_* env vars."""
    from contract_tests.settings import ENV_VARS, RunSettings, parse_features

    values: dict[str, object] = {"strict": bool(config.getoption("--hoko-strict")), "quiet": True}
    for option, (name, _, _) in OPTIONS.items():
        value = config.getoption(option)
        if value is None and name in ENV_VARS:
            value = os.environ.get(ENV_VARS[name])
        if value is not None:
            values[name] = parse_features(value) if name == "plan_features" else value
    missing = [
        option
        for option, (name, _, _) in OPTIONS.items()
        if name in ENV_VARS and name not in values
    ]
    if missing:
        from contract_tests.errors import UsageError

        raise UsageError(", ".join(missing), "required for the conformance suite")
    return RunSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def hoko_contract_result(pytestconfig: pytest.Config) -> RunResult:
    """Run the whole conformance suite once per session and return its verdict."""
    from contract_tests import runner
    from contract_tests.errors import ContractError

    try:
        result = runner.run(settings_from_config(pytestconfig))
    except ContractError as error:
        pytest.fail(f"hoko-contract: {error}", pytrace=False)
    if result.stopped is not None:
        pytest.fail(f"hoko-contract: {result.stopped}", pytrace=False)
    return result
