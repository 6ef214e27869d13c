"""The contract as served: ``/openapi.yaml``, ``/openapi.json`` and an offline ``/docs`` page."""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import openapi

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}
pre{padding:.75rem;overflow:auto;white-space:pre-wrap}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}
h2{border-bottom:1px solid #ddd}
"""


def _schema_type(schema: dict[str, Any]) -> str:
    parts = [schema, *schema.get("allOf", [])]
    kinds = [p["type"] for p in parts if "type" in p]
    formats = [p["format"] for p in parts if "format" in p]
    kind = kinds[0] if kinds else "object"
    return f"{kind} ({formats[0]})" if formats else kind


def _description(schema: dict[str, Any]) -> str:
    for part in [schema, *schema.get("allOf", [])]:
        if "description" in part:
            return str(part["description"])
    return ""


def render_docs() -> str:
    """Render the spec as one self-contained HTML page, with no external asset."""
    spec = openapi.load_spec()
    operation = openapi.operation()
    fields = openapi.schema_at("#/components/schemas/LinkFields")["properties"]
    required = set(openapi.schema_at("#/components/schemas/LinkInput")["required"])
    esc = html.escape
    rows = "".join(
        f"<tr><td><code>{esc(name)}</code></td><td>{esc(_schema_type(schema))}</td>"
        f"<td>{'yes' if name in required else 'no'}</td><td>{esc(_description(schema))}</td></tr>"
        for name, schema in fields.items()
    )
    examples = "".join(
        f"<h4>{esc(name)}</h4><pre>{esc(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
        for name, value in openapi.request_examples().items()
    )
    responses = "".join(
        f"<h3>{status}</h3><p>{esc(operation['responses'][str(status)]['description'])}</p>"
        + "".join(
            f"<pre>{esc(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
            for value in openapi.response_examples(status).values()
        )
        for status in openapi.STATUS_CODES
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(spec["info"]["title"])}</title>
<style>{STYLE}</style></head><body>
<h1>{esc(spec["info"]["title"])}</h1>
<p>Machine-readable: <a href="/openapi.yaml">/openapi.yaml</a>,
<a href="/openapi.json">/openapi.json</a>.</p>
<pre>{esc(spec["info"]["description"])}</pre>
<h2><code>POST {esc(openapi.LINKS_PATH)}</code></h2>
<pre>{esc(operation["description"])}</pre>
<h3>Link fields</h3>
<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>{rows}</table>
<h3>Request examples</h3>{examples}
<h2>Responses</h2>{responses}
</body></html>"""


def routes() -> list[Route]:
    """Return the routes serving the contract, each body rendered once."""
    yaml_body = openapi.spec_text().encode("utf-8")
    json_body = openapi.spec_json()
    docs_body = render_docs().encode("utf-8")

    def serve(body: bytes, media_type: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return Response(body, media_type=media_type)

        return endpoint

    return [
        Route("/openapi.yaml", serve(yaml_body, "application/yaml"), methods=["GET"]),
        Route("/openapi.json", serve(json_body, "application/json"), methods=["GET"]),
        Route("/docs", serve(docs_body, "text/html; charset=utf-8"), methods=["GET"]),
    ]
