"""Appointing an identity registrar (who appoints every other official) takes a
second registrar's confirmation; the first two come from the operator's
bootstrap command, recorded on the chain, and nobody appoints themselves."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from chain.ledger.models import LedgerEntry
from registries.identity import services
from registries.identity.models import AppointmentRecord
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

OFFICIALS = "/api/v1/identity/officials/"
REGISTRAR = {"registry": "identity", "role": "registrar"}
OPERATOR = identity.new_code()


def bootstrap(code: str, operator: str | None = None, **names: str) -> str:
    """Run the operator's command (the operator names themselves by their code)."""
    out = StringIO()
    call_command("bootstrap_registrar", code, operator=operator or OPERATOR, stdout=out, **names)
    return out.getvalue()


def appointment(code: str) -> AppointmentRecord:
    return AppointmentRecord.objects.get(person__personal_code=code, **REGISTRAR)


def identity_entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def test_a_registrar_appointing_another_registrar_only_proposes_until_a_second_confirms() -> None:
    first, second = identity.official(*REGISTRAR.values()), identity.official(*REGISTRAR.values())
    newcomer = identity.person("Uus", "Ametnik")
    proposer = identity.token_client(first)
    response = proposer.post(OFFICIALS, {"personal_code": newcomer, **REGISTRAR}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["active"] is False
    assert not services.has_role(newcomer, "identity", "registrar")

    again = proposer.post(f"{OFFICIALS}confirmation/", {"personal_code": newcomer, **REGISTRAR})
    assert again.status_code == 409
    assert again.json()["type"].endswith("four-eyes")
    confirmed = identity.token_client(second).post(
        f"{OFFICIALS}confirmation/", {"personal_code": newcomer, **REGISTRAR}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert services.has_role(newcomer, "identity", "registrar")
    assert appointment(newcomer).appointed_by == first
    assert appointment(newcomer).confirmed_by == second


def test_the_operator_bootstraps_the_first_registrar_on_the_chain_and_confirms_the_second() -> None:
    first, second = identity.new_code(), identity.person("Teine", "Ametnik")
    before = identity_entries()
    # An empty register: the operator registers the first registrar too.
    assert "registered and appointed" in bootstrap(first, first_name="Esimene", last_name="Ametnik")
    assert identity_entries() == before + 3  # registered (person, code index), appointed
    assert services.has_role(first, "identity", "registrar")
    assert appointment(first).appointed_by == f"operator:{OPERATOR}"

    with pytest.raises(CommandError, match="no proposed appointment"):
        bootstrap(second)  # one registrar in office: the operator only confirms their proposal
    proposed = identity.token_client(first).post(
        OFFICIALS, {"personal_code": second, **REGISTRAR}, format="json"
    )
    assert proposed.json()["active"] is False
    assert "confirmed" in bootstrap(second)
    assert services.has_role(second, "identity", "registrar")
    assert appointment(second).appointed_by == first
    assert appointment(second).confirmed_by == f"operator:{OPERATOR}"

    third = identity.person("Kolmas", "Ametnik")
    with pytest.raises(CommandError, match="two identity registrars hold office"):
        bootstrap(third)
    assert not services.has_role(third, "identity", "registrar")


def test_nobody_bootstraps_themselves_and_a_superuser_appoints_nobody() -> None:
    code = identity.person("Ise", "Enda")
    before = identity_entries()
    with pytest.raises(CommandError, match="no self-appointment"):
        bootstrap(code, operator=code)
    admin = identity.token_client("admin", superuser=True)
    response = admin.post(OFFICIALS, {"personal_code": code, **REGISTRAR}, format="json")
    assert response.status_code == 403
    assert identity_entries() == before
    assert not services.has_role(code, "identity", "registrar")


def test_the_admin_shows_who_bootstrapped_a_registrar() -> None:
    code = identity.person("Esimene", "Ametnik")
    bootstrap(code)
    viewer = Client()
    viewer.force_login(identity.user_for("viewer", superuser=True))
    page = viewer.get(f"/admin/identity/appointmentrecord/{appointment(code).pk}/change/")
    assert page.status_code == 200, page.status_code
    assert f"operator:{OPERATOR}" in page.content.decode()
