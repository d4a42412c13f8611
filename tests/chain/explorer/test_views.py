"""The explorer page and its assets are served by the app itself (no static server)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_explorer_page_lists_the_registries_and_links_its_assets(client: Client) -> None:
    page = client.get("/explorer/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<option>business</option>" in html
    assert '/explorer/assets/explorer.js"' in html
    assert '/explorer/assets/explorer.css"' in html


@pytest.mark.parametrize(("name", "kind"), [("explorer.js", "javascript"), ("explorer.css", "css")])
def test_the_assets_are_served_with_their_content_type(
    client: Client, name: str, kind: str
) -> None:
    response = client.get(f"/explorer/assets/{name}")
    assert response.status_code == 200
    assert kind in response["Content-Type"]


def test_nothing_else_is_served_from_the_asset_folder(client: Client) -> None:
    assert client.get("/explorer/assets/../views.py").status_code == 404
    assert client.get("/explorer/assets/other.js").status_code == 404
