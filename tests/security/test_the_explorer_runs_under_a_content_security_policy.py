"""Issue 14: ``/explorer/`` is served with a strict Content-Security-Policy.

The browser test (tests/chain/explorer/test_explorer.py) checks that the page
still works under it and reports no violation.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_explorer_page_allows_only_its_own_scripts_styles_and_api(client: Client) -> None:
    page = client.get("/explorer/")
    policy = dict(
        directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    html = page.content.decode()
    # Nothing inline that the policy would block.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=|\sstyle=|<style", html)
