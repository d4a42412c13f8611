"""The explorer page and its two static files (plain JS and CSS, no build step)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.static import serve

from chain.api.hooks import public_records

STATIC = Path(__file__).resolve().parent / "static"
PAGE_SIZE = 20
"""Blocks per page of the block list (the API allows up to 200)."""
CHART_SIZE = 60
"""Blocks the chart shows: the newest ones, in one request of the block feed."""
# What explorer.js shows besides the API's answers, handed to it in the reader's
# language; {name} marks a value the script fills in.
TEXTS = {
    "updated": gettext_noop("updated"),
    "no_blocks": gettext_noop("no blocks yet"),
    "cannot_load": gettext_noop("cannot load blocks:"),
    "verifying": gettext_noop("verifying…"),
    "blocks_range": gettext_noop("heights {first} to {last}"),
    "no_entries": gettext_noop("the record has no entries on the chain yet"),
    "pending": gettext_noop("pending"),
    "chart_summary": gettext_noop(
        "{final} of {count} blocks final; median time to finality {median} s"
    ),
    "chart_none_final": gettext_noop("{count} blocks, none final yet"),
    "seconds": gettext_noop("seconds to final"),
    "height": gettext_noop("height"),
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
    """The explorer: blocks by level page by page, a chart of levels and time to
    finality, signatures by tier, a record's entries by its public identifier, and
    a receipt's checks in the browser."""
    response = render(
        request,
        "explorer/index.html",
        {
            "registries": sorted(settings.RIIK_REGISTRIES),
            "public_records": [
                (registry, gettext(records.identifier))
                for registry, records in sorted(public_records().items())
            ],
            "chain_id": settings.RIIK_CHAIN_ID,
            "page_size": PAGE_SIZE,
            "chart_size": CHART_SIZE,
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
