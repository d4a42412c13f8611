"""The admin in Estonian: column labels, app and model names, not only Django's own texts;
every page every kind of official reaches, walked."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings

from chain.blocks.sealing import seal_pending
from registries.identity.models import AppointmentRecord, RepresentativeRecord
from tests.config.admin_pages import labels, untranslated
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


# Every page of the admin, as the officials of a seeded country see it ------------------

ADMIN_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/)"')
CHANGE_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/[^"/]+/change/[^"]*)"')
COMMAND_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/[^"/]+/command/[a-z-]+/)"')
ADD_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/add/)"')


def walked_pages(client: Client) -> dict[str, list[str]]:
    """Every admin page the signed-in user can reach from the index: each model's change
    list, its first record's page, that record's command forms and the add form, with the
    labels that read the same in Estonian as in English."""
    found: dict[str, list[str]] = {}

    def visit(url: str) -> str:
        estonian = client.get(url, HTTP_ACCEPT_LANGUAGE="et")
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert estonian.status_code == english.status_code == 200, url
        page = estonian.content.decode()
        assert labels(page), f"{url} shows no labels: the check would see nothing"
        found[url] = untranslated(page, english.content.decode())
        return page

    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
    for changelist in sorted(set(ADMIN_LINK.findall(index))):
        page = visit(changelist)
        for add in ADD_LINK.findall(page)[:1]:
            visit(add)
        for change in CHANGE_LINK.findall(page)[:1]:
            record = visit(unescape(change))
            for command in sorted(set(COMMAND_LINK.findall(record))):
                visit(unescape(command))
    return found


@pytest.fixture
def country(event_store: None) -> None:
    """A small country on a devnet, seeded by the demo: every registry has records,
    the chain has blocks, votes and storage checks."""
    with override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_STEPWISE=True):
        call_command(
            "demo",
            persons=60,
            companies=2,
            units=4,
            cases=1,
            patients=3,
            wallets=2,
            seed=7,
            stdout=io.StringIO(),
        )


def officials_of_every_kind() -> list[str]:
    """One official of each role the demo appointed, and each person who signs in for a
    bank or the central bank."""
    officials = {
        (registry, role): code
        for registry, role, code in AppointmentRecord.objects.filter(active=True).values_list(
            "registry", "role", "person__personal_code"
        )
    }
    representatives = RepresentativeRecord.objects.filter(active=True).values_list(
        "person__personal_code", flat=True
    )
    return sorted({*officials.values(), *representatives})


@pytest.mark.slow
@pytest.mark.usefixtures("country")
def test_every_admin_page_an_official_reaches_is_labelled_in_estonian() -> None:
    walked: dict[str, list[str]] = {}
    for code in officials_of_every_kind():
        user = get_user_model().objects.get_or_create(username=code)[0]
        user.is_staff = True
        user.save()
        client = Client()
        client.force_login(user)
        walked |= walked_pages(client)

    # The walk reached every kind of page of every registry, not a login page.
    kinds = {url.split("/")[2] for url in walked}
    assert {"chain", "identity", "business", "property", "court", "health", "money"} <= kinds
    assert any("/command/" in url for url in walked)
    assert any(url.endswith("/add/") for url in walked)
    assert any(url.endswith("/change/") for url in walked)
    english = {url: found for url, found in walked.items() if found}
    assert not english, "\n".join(f"{url}: {found}" for url, found in sorted(english.items()))
