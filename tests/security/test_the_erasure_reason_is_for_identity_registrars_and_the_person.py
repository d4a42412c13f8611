"""Why a person's erasure was asked for is between the identity registrars, who decide on
it, and the person (ADR 0081). Any other official who may read the person's record -- in
the API or the admin -- sees that an erasure was asked for, by whom and when, not why; and
once the erasure is done, the other registries' key audits (read by their own auditors)
say only that the population register approved it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from registries.common.application import running
from registries.court.application import CourtRegistry
from registries.health import keystore as health_keys
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

PERSONS = "/api/v1/identity/persons/"
REASON = "Quarantined-Reason-7731: the person's request under GDPR art. 17"


def asked_for(code: str) -> str:
    """An identity registrar asks for the person's erasure; return the registrar's code."""
    registrar = identity.official("identity", "registrar")
    response = identity.token_client(registrar).post(
        f"{PERSONS}{code}/erasure/request/", {"reason": REASON}, format="json"
    )
    assert response.status_code == 200, response.content
    return registrar


@pytest.mark.parametrize(
    ("registry", "role"),
    [
        ("health", "pharmacist"),
        ("court", "judge"),
        ("health", "auditor"),
        ("business", "registrar"),
    ],
)
def test_an_official_of_another_role_sees_the_request_but_not_its_reason(
    registry: str, role: str
) -> None:
    code = identity.person()
    registrar = asked_for(code)
    response = identity.token_client(identity.official(registry, role)).get(f"{PERSONS}{code}/")
    assert response.status_code == 200, response.content
    card = response.json()
    assert card["erasure_requested_by"] == registrar
    assert card["erasure_requested_at"]
    assert card["erasure_reason"] is None
    assert "Quarantined-Reason-7731" not in response.content.decode()


def test_a_superuser_does_not_see_the_reason_either() -> None:
    code = identity.person()
    asked_for(code)
    response = identity.token_client("root", superuser=True).get(f"{PERSONS}{code}/")
    assert response.status_code == 200, response.content
    assert "Quarantined-Reason-7731" not in response.content.decode()


def test_a_registrar_signed_in_in_another_role_does_not_see_the_reason() -> None:
    code = identity.person()
    asked_for(code)
    both = identity.official("identity", "registrar")
    identity.appoint(both, "court", "judge")
    response = identity.token_client(both, role="court/judge").get(f"{PERSONS}{code}/")
    assert response.status_code == 200, response.content
    assert response.json()["erasure_reason"] is None


def test_identity_registrars_and_the_person_see_the_reason() -> None:
    code = identity.person()
    asked_for(code)
    other_registrar = identity.token_client(identity.official("identity", "registrar"))
    assert other_registrar.get(f"{PERSONS}{code}/").json()["erasure_reason"] == REASON
    themself = identity.token_client(code)
    assert themself.get(f"{PERSONS}me/").json()["erasure_reason"] == REASON
    assert themself.get(f"{PERSONS}{code}/").json()["erasure_reason"] == REASON


def test_without_a_request_the_reason_is_empty_for_everyone() -> None:
    code = identity.person()
    judge = identity.token_client(identity.official("court", "judge"))
    assert judge.get(f"{PERSONS}{code}/").json()["erasure_reason"] == ""


def test_the_admin_shows_the_reason_to_identity_registrars_only() -> None:
    code = identity.person()
    registrar = asked_for(code)
    viewer_user = identity.user_for("viewer", staff=True)
    viewer_user.user_permissions.add(
        Permission.objects.get(content_type__app_label="identity", codename="view_personrecord")
    )
    viewer = Client()
    viewer.force_login(viewer_user)
    page = viewer.get(f"/admin/identity/personrecord/{code}/change/").content.decode()
    assert registrar in page  # who asked shows
    assert "Quarantined-Reason-7731" not in page
    history = viewer.get(f"/admin/identity/personrecord/{code}/history/").content.decode()
    assert "Quarantined-Reason-7731" not in history

    other = Client()
    other.force_login(identity.user_for(identity.official("identity", "registrar"), staff=True))
    page = other.get(f"/admin/identity/personrecord/{code}/change/").content.decode()
    assert "Quarantined-Reason-7731" in page


def test_after_the_erasure_the_court_and_health_key_audits_say_it_was_approved_not_why() -> None:
    code = identity.person()
    health_keys.key_for(code, "doctor", "test: the person has health data")
    court_keys = running(CourtRegistry).keystore
    court_keys.key_for(code, "judge", "test: the person is party to a case")
    asked_for(code)
    approving = identity.token_client(identity.official("identity", "registrar"))
    response = approving.post(f"{PERSONS}{code}/erasure/", {"reason": REASON}, format="json")
    assert response.status_code == 200, response.content

    # What a health (or court) auditor's read of the key's trail opens.
    for trail in (health_keys.audit_trail(code), court_keys.audit_trail(code)):
        (destroyed,) = [line for line in trail if line["action"] == "destroy"]
        assert "population register" in destroyed["purpose"]
        assert "Quarantined-Reason-7731" not in repr(trail)
