"""An official's static API token does not act forever: after
``RIIK_API_TOKEN_LIFETIME`` it is refused and deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as project_settings
from django.utils import timezone

from registries.common.models import ApiToken
from tests.registries.identity.helpers import official, token_client

pytestmark = pytest.mark.usefixtures("event_store")


def test_an_old_api_token_is_refused_and_deleted(settings: pytest.FixtureRequest) -> None:
    settings.RIIK_API_TOKEN_LIFETIME = 3600  # type: ignore[attr-defined]
    registrar = official("identity", "registrar")
    client = token_client(registrar)
    assert client.get(f"/api/v1/identity/persons/{registrar}/").status_code == 200
    ApiToken.objects.update(created_at=timezone.now() - timedelta(hours=2))
    response = client.get(f"/api/v1/identity/persons/{registrar}/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_api_tokens_live_eight_hours_by_default() -> None:
    assert project_settings.RIIK_API_TOKEN_LIFETIME == 8 * 3600
