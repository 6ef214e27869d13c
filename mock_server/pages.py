"""The short links' HTML pages: small, accessible and self-contained, with no external asset."""

from __future__ import annotations

import html
from typing import Final

from starlette.responses import HTMLResponse

STYLE: Final = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1a1a1a;background:#fff}h1{font-size:1.4rem}"
    "label,input,button{display:block;font:inherit}input{margin:.3rem 0 1rem;padding:.4rem;"
    "width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}"
    "button{padding:.4rem 1rem;border:0;border-radius:4px;background:#0b57d0;color:#fff}"
    "[role=alert]{color:#a00000;font-weight:600}"
)
# Nothing but the page's own inline style and a framed destination. No form-action: browsers
# apply it to every redirect after the form, and the password form ends at the destination.
POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-src http: https:; base-uri 'none'"
)
NOINDEX: Final = "noindex, nofollow"


def _page(status: int, title: str, body: str, robots: str = NOINDEX) -> HTMLResponse:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="{robots}"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
    headers = {
        "Content-Security-Policy": POLICY,
        "X-Robots-Tag": robots,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(text, status_code=status, headers=headers)


def not_found(short_id: str) -> HTMLResponse:
    """Return the 404 page of a shortId no stored link has."""
    shown = html.escape(short_id[:80])
    return _page(
        404,
        "Link not found",
        f"<main><h1>Link not found</h1><p>No short link <code>{shown}</code> exists on this "
        "mock. Create it with <code>POST /api/links</code> first.</p></main>",
    )


def password_form(action: str, wrong: bool) -> HTMLResponse:
    """Return the form asking a link's password (200), or again after a wrong one (401)."""
    alert = '<p role="alert" id="problem">Wrong password. Try again.</p>' if wrong else ""
    described = ' aria-describedby="problem" aria-invalid="true"' if wrong else ""
    return _page(
        401 if wrong else 200,
        "Password required",
        "<main><h1>This link is protected</h1>"
        f'<form method="post" action="{html.escape(action)}">{alert}'
        '<label for="password">Password</label>'
        f'<input id="password" name="password" type="password" required autofocus'
        f' autocomplete="current-password"{described}>'
        '<button type="submit">Continue</button></form></main>',
    )


def expired() -> HTMLResponse:
    """Return the 410 page of an expired link without an ``expiredUrl``."""
    return _page(
        410,
        "Link expired",
        "<main><h1>Link expired</h1><p>This short link has expired and no longer leads "
        "anywhere.</p></main>",
    )


def cloaked(destination: str, title: str | None) -> HTMLResponse:
    """Return the page framing ``destination`` full-size instead of redirecting to it."""
    name = title or "Link"
    frame = (
        f'<iframe src="{html.escape(destination)}" title="{html.escape(name)}" '
        'style="position:fixed;inset:0;width:100%;height:100%;border:0"></iframe>'
    )
    return _page(200, name, frame)


def problem(status: int, title: str, detail: str) -> HTMLResponse:
    """Return a short page explaining why a visit was refused with a 4xx ``status``."""
    return _page(
        status,
        title,
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></main>",
    )
