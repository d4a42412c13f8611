"""The explorer page in Estonian when asked, in English otherwise (its headings and
the texts its script shows)."""

from __future__ import annotations

import html as markup
import json
import re

from django.test import Client


def _texts(html: str) -> dict[str, str]:
    """The texts the page hands its script (the body's ``data-texts``: no inline script)."""
    match = re.search(r'<body data-texts="([^"]*)"', html)
    assert match is not None
    texts: dict[str, str] = json.loads(markup.unescape(match.group(1)))
    return texts


def test_the_explorer_speaks_estonian_when_asked() -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="et").get("/explorer/").content.decode()
    assert '<html lang="et">' in html
    assert "<h1>Riigi ahela uurija</h1>" in html
    assert "<h2>Viimased plokid</h2>" in html
    assert "<h2>Otsi kirjet</h2>" in html
    assert "Kontrolli oma brauseris" in html
    assert _texts(html)["no_blocks"] == "plokke veel ei ole"
    # Paging, the lookup by a public identifier and the chart are in Estonian too.
    assert "<h2>Tasemed ja lõplikkuseni kulunud aeg</h2>" in html
    assert "<h2>Otsi kirjet avaliku tunnuse järgi</h2>" in html
    assert "Vanemad →" in html
    assert '<option value="business">business: registrikood</option>' in html
    assert _texts(html)["blocks_range"] == "kõrgused {first} kuni {last}"


def test_the_explorer_speaks_english_by_default() -> None:
    html = Client().get("/explorer/").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Riik chain explorer</h1>" in html
    assert "<h2>Latest blocks</h2>" in html
    assert _texts(html)["no_blocks"] == "no blocks yet"
    assert '<option value="court">court: case number</option>' in html
