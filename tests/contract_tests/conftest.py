"""Fixtures that run the conformance suite over real HTTP against the reference implementation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules share the reference server and helpers (contract_*.py) through this directory.
sys.path.insert(0, str(Path(__file__).parent))

from contract_running import RunSuite, run_against_reference


@pytest.fixture
def run_suite() -> RunSuite:
    """Return a function that serves the reference with options and runs the suite against it."""
    return run_against_reference
