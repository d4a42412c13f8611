"""The admin in Estonian: column labels, app and model names, not only Django's own texts."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chain.blocks.sealing import seal_pending
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


def test_a_changelist_in_estonian_labels_its_columns_and_names_its_model_in_estonian() -> None:
    register_company()
    seal_pending()
    clerk = get_user_model().objects.create_user("ametnik", password="pw-12345678", is_staff=True)
    client = Client()
    client.force_login(clerk)

    page = unescape(
        client.get("/admin/chain/ledgerentry/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
    )

    assert "Sündmus" in page  # the "event" column
    assert "Pearaamatu kanded" in page  # the model's plural name
    assert "Event" not in page


def test_the_admin_index_in_estonian_names_models_in_the_estonian_plural() -> None:
    chief = get_user_model().objects.create_superuser("peaametnik", password="pw-12345678")
    client = Client()
    client.force_login(chief)

    page = unescape(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="et").content.decode())

    assert "Kinnistusraamat" in page  # the property registry app
    assert "Kinnisasjad" in page  # not Django's English-style "kinnisasis"
    assert "Rahakotid" in page
