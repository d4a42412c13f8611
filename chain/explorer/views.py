"""The explorer page and its two static files (plain JS and CSS, no build step)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.static import serve

STATIC = Path(__file__).resolve().parent / "static"
# What explorer.js shows besides the API's answers, handed to it in the reader's language.
TEXTS = {
    "updated": gettext_noop("updated"),
    "no_blocks": gettext_noop("no blocks yet"),
    "cannot_load": gettext_noop("cannot load blocks:"),
    "verifying": gettext_noop("verifying…"),
}
# The page runs only its own script and style files (no inline code, nothing
# from elsewhere) and talks only to this server's API: an injected script or a
# framing page gets nowhere. The icon is an empty data: URL.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def index(request: HttpRequest) -> HttpResponse:
    """The explorer: blocks by level, signatures by tier, lookup and in-browser checks."""
    response = render(
        request,
        "explorer/index.html",
        {
            "registries": sorted(settings.RIIK_REGISTRIES),
            "chain_id": settings.RIIK_CHAIN_ID,
            "texts_json": json.dumps({name: gettext(text) for name, text in TEXTS.items()}),
        },
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def asset(request: HttpRequest, name: str) -> HttpResponseBase:
    """``explorer.js`` / ``explorer.css``, served by the app itself (no static server needed)."""
    response = serve(request, name, document_root=str(STATIC))
    response["Cache-Control"] = "no-cache"
    return response
