"""A Schemathesis hook writing each answer's status and seconds, one JSON line per request."""

from __future__ import annotations

import os
from typing import Any

import orjson
import schemathesis

TALLY_ENV = "HOKO_RELIABILITY_TALLY"


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    """Append the answer's status and time to the file ``HOKO_RELIABILITY_TALLY`` names."""
    line = orjson.dumps({"status": response.status_code, "seconds": response.elapsed})
    with open(os.environ[TALLY_ENV], "ab") as tally:
        tally.write(line + b"\n")
