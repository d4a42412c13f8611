"""Signing out ends the token at once: it never acts again, even before it expires."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from registries.common.models import AccessToken
from tests.registries.access.citizens import citizen, problem, signed_in

pytestmark = pytest.mark.usefixtures("event_store")

SIGN_OUT = "/api/v1/identity/sign-out/"


def test_signing_out_ends_the_token_and_only_it() -> None:
    code, key = citizen()
    client, other = signed_in(code, key), signed_in(code, key)
    response = client.post(SIGN_OUT)
    assert response.status_code == 204, response.content
    problem(client.get("/api/v1/me/"), 401, "signed out")
    problem(client.post(SIGN_OUT), 401, "signed out")
    assert other.get("/api/v1/me/").status_code == 200
    assert AccessToken.objects.exclude(ended="").count() == 1


def test_signing_out_needs_a_sign_in_token() -> None:
    assert APIClient().post(SIGN_OUT).status_code == 401
