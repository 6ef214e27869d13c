"""The ceiling: a bare Starlette app that parses the JSON body and answers a fixed 201."""

# Nothing real can answer POST /api/links faster on the same stack (Starlette, uvicorn, orjson),
# so the mock's figures are read as a fraction of this app's.

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Final

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import openapi

CREATED_BODY: Final = orjson.dumps(openapi.response_examples(201)["documentedWithMetadata"])
_EN, _AR = openapi.error_texts(400)
INVALID_BODY: Final = orjson.dumps({"error": {"en": _EN, "ar": _AR}})


async def create_links(request: Request) -> Response:
    """Parse the body as JSON and answer the documented 201 example, or 400 if it is not JSON."""
    try:
        orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return Response(INVALID_BODY, status_code=400, media_type="application/json")
    return Response(CREATED_BODY, status_code=201, media_type="application/json")


app: Final = Starlette(routes=[Route(openapi.LINKS_PATH, create_links, methods=["POST"])])


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the ceiling app with uvicorn, access log off like the mock's."""
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    options = parser.parse_args(argv)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
