"""The contract as served: ``/openapi.yaml``, ``/openapi.json`` and an interactive ``/docs``."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import openapi
from mock_server.config import SCOPE_WRITE, MockConfig

# Swagger UI's dist files, shipped in the package so /docs works offline (see its LICENSE).
ASSETS_DIR: Final = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_PATH: Final = "/docs/assets"

STYLE = """
body{margin:0}
.plain{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
.plain{color:#222}
.plain code,.plain pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}
.plain pre{padding:.75rem;overflow:auto;white-space:pre-wrap}
.plain table{border-collapse:collapse;width:100%}
.plain td,.plain th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}
.plain h2{border-bottom:1px solid #ddd}
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


def render_reference() -> str:
    """Render the spec as plain HTML: fields, examples and responses, for readers without JS."""
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
    return f"""<h1>{esc(spec["info"]["title"])}</h1>
<p>Machine-readable: <a href="/openapi.yaml">/openapi.yaml</a>,
<a href="/openapi.json">/openapi.json</a>.</p>
<pre>{esc(spec["info"]["description"])}</pre>
<h2><code>POST {esc(openapi.LINKS_PATH)}</code></h2>
<pre>{esc(operation["description"])}</pre>
<h3>Link fields</h3>
<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>{rows}</table>
<h3>Request examples</h3>{examples}
<h2>Responses</h2>{responses}"""


def render_docs(dev_key: str | None) -> str:
    """Render ``/docs``: Swagger UI from the package's own assets, trying requests on this mock."""
    spec = openapi.load_spec()
    # Swagger UI gets a copy of the spec listing this mock first among its servers, and the
    # dev key already entered; the spec itself is served unchanged at /openapi.json.
    # Inside <script> nothing is unescaped, so only "<" (as in "</script>") is made harmless.
    settings = json.dumps({"specUrl": "/openapi.json", "devKey": dev_key}).replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(spec["info"]["title"])}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<style>{STYLE}</style></head><body>
<main id="swagger-ui" aria-label="Interactive API reference"></main>
<noscript><div class="plain">{render_reference()}</div></noscript>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script id="docs-settings" type="application/json">{settings}</script>
<script>
(async () => {{
  const settings = JSON.parse(document.getElementById("docs-settings").textContent);
  const spec = await (await fetch(settings.specUrl)).json();
  spec.servers = [{{url: window.location.origin, description: "This hoko-mock"}},
                  ...(spec.servers || [])];
  const schemes = Object.keys((spec.components || {{}}).securitySchemes || {{}});
  const ui = SwaggerUIBundle({{
    spec, dom_id: "#swagger-ui", deepLinking: true, tryItOutEnabled: true,
    validatorUrl: null, displayRequestDuration: true, persistAuthorization: false,
    onComplete: () => {{
      if (settings.devKey && schemes.length) ui.preauthorizeApiKey(schemes[0], settings.devKey);
    }},
  }});
  window.ui = ui;
}})();
</script>
</body></html>"""


def dev_key(config: MockConfig) -> str | None:
    """Return the first configured key allowed to create links, for "try it" to use."""
    for key in config.keys:
        if SCOPE_WRITE in key.scopes:
            return key.secret
    return None


def routes(config: MockConfig) -> list[BaseRoute]:
    """Return the routes serving the contract, each body rendered once."""
    yaml_body = openapi.spec_text().encode("utf-8")
    json_body = openapi.spec_json()
    docs_body = render_docs(dev_key(config)).encode("utf-8")

    def serve(body: bytes, media_type: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return Response(body, media_type=media_type)

        return endpoint

    return [
        Route("/openapi.yaml", serve(yaml_body, "application/yaml"), methods=["GET"]),
        Route("/openapi.json", serve(json_body, "application/json"), methods=["GET"]),
        Route("/docs", serve(docs_body, "text/html; charset=utf-8"), methods=["GET"]),
        Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets"),
    ]
