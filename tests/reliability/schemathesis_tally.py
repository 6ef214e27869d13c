"""A Schemathesis hook writing each answer's status and seconds, one JSON line per request.

Loaded only by the Schemathesis CLI (``SCHEMATHESIS_HOOKS``): importing it registers a global hook.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
import schemathesis

TALLY_ENV = "HOKO_RELIABILITY_TALLY"


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    """Append the answer's status and time to the file ``HOKO_RELIABILITY_TALLY`` names."""
    path = os.environ.get(TALLY_ENV)
    if path is None:  # a global hook: outside the tallied CLI run it must do nothing
        return
    line = orjson.dumps({"status": response.status_code, "seconds": response.elapsed})
    with open(path, "ab") as tally:
        tally.write(line + b"\n")
