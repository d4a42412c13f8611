"""Roles drive permissions: the DRF permission factory and the admin helper."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from registries.access.admin_signin import REGISTRY_NAMES, ROLE_NAMES, role_choices
from registries.access.roles import registry_role, role_message, user_has_role
from registries.identity.vocabulary import REGISTRIES, ROLE_REGISTRIES, ROLES
from tests.registries.identity.helpers import new_code, official, person, run, user_for

pytestmark = pytest.mark.usefixtures("event_store")

Judge = registry_role("court", "judge")


def allowed(permission: type[Any], user: Any) -> bool:
    request = Request(APIRequestFactory().post("/anything/"))
    request.user = user if user is not None else AnonymousUser()
    return bool(permission().has_permission(request, APIView()))


def test_anonymous_callers_are_told_to_authenticate() -> None:
    with pytest.raises(NotAuthenticated):
        allowed(Judge, None)


def test_a_registrar_of_business_is_not_a_judge() -> None:
    registrar = official("business", "registrar")
    user = user_for(registrar)
    assert allowed(registry_role("business", "registrar"), user)
    assert not allowed(Judge, user)
    assert Judge.message == "only a judge of the court registry may do this"
    assert user_has_role(user, "business", "registrar")
    assert not user_has_role(user, "court", "judge")


def test_a_judge_is_a_judge() -> None:
    user = user_for(official("court", "judge"))
    assert allowed(Judge, user)
    assert user_has_role(user, "court", "judge")


def test_a_dismissed_official_loses_the_role() -> None:
    code = official("court", "judge")
    user = user_for(code)
    assert allowed(Judge, user)
    run(lambda app: app.dismiss_official(code, "court", "judge", None, "registrar"))
    assert not allowed(Judge, user)
    assert not user_has_role(user, "court", "judge")


def test_a_person_who_is_not_appointed_has_no_role() -> None:
    user = user_for(person())
    assert not allowed(Judge, user)
    assert not user_has_role(user, "court", "judge")
    assert not allowed(Judge, user_for(new_code()))  # not even registered


def test_an_inactive_user_has_no_role() -> None:
    user = user_for(official("health", "doctor"))
    user.is_active = False
    user.save()
    assert not user_has_role(user, "health", "doctor")


def test_a_user_whose_username_is_not_a_code_has_no_role() -> None:
    assert not allowed(Judge, user_for("judge-dredd"))
    assert not user_has_role(AnonymousUser(), "court", "judge")
    assert not user_has_role(None, "court", "judge")


def test_superusers_hold_no_role() -> None:
    admin = user_for("admin", superuser=True)
    assert not allowed(Judge, admin)
    assert not allowed(registry_role("identity", "registrar"), admin)


def test_an_impossible_role_is_refused_when_the_permission_is_made() -> None:
    with pytest.raises(ValueError, match="a notary acts in the property registry"):
        registry_role("court", "notary")
    with pytest.raises(ValueError, match="not one of"):
        registry_role("court", "bailiff")


def test_role_messages_use_the_right_article() -> None:
    assert (
        role_message("identity", "auditor")
        == "only an auditor of the identity registry may do this"
    )
    assert registry_role("health", "doctor").__name__ == "HealthDoctorRole"


def test_every_role_and_registry_has_a_name_on_the_admin_sign_in_page() -> None:
    assert set(ROLE_NAMES) == set(ROLES)
    assert set(REGISTRY_NAMES) == set(REGISTRIES)
    assert len(role_choices()) == sum(len(places) for places in ROLE_REGISTRIES.values())
