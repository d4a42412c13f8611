"""Helpers for the identity registry's tests: people, officials and their users."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from registries.access.api_tokens import issue_api_token
from registries.common.codes import personal_code, registry_code
from registries.common.commands import issue
from registries.identity.application import IdentityRegistry
from registries.identity.models import AppointmentRecord
from registries.identity.projections import PROJECTIONS
from registries.identity.vocabulary import needs_confirmation

_serials = itertools.count(100)


def new_code(born: date = date(1980, 5, 17), sex: str = "M") -> str:
    """A fresh valid personal code."""
    return personal_code(born, sex, next(_serials) % 1000)


def run(command: Any) -> Any:
    """Issue an identity command and catch up the read models."""
    return issue(IdentityRegistry, PROJECTIONS, command)


def person(first: str = "Mari", last: str = "Tamm", code: str | None = None) -> str:
    """Register a person; return the code."""
    code = code or new_code()
    return str(run(lambda app: app.register_person(code, first, last, "registrar")))


def organisation(kind: str = "court", name: str = "Harju Maakohus", serial: int = 0) -> str:
    code = registry_code(serial or next(_serials), kind_digit=7)
    return str(run(lambda app: app.register_organisation(code, name, kind, "registrar")))


def official(registry: str, role: str, organisation_code: str | None = None) -> str:
    """Register a person and appoint them (proposed by one registrar and, where the role
    takes four eyes, confirmed by a second); return the code."""
    code = person("Jaan", "Kask")
    appoint(code, registry, role, organisation_code)
    return code


def appoint(code: str, registry: str, role: str, organisation_code: str | None = None) -> None:
    """Appoint a registered person an official, confirmed by a second registrar if need be."""
    run(lambda app: app.appoint_official(code, registry, role, organisation_code, "registrar"))
    if needs_confirmation(registry, role):
        run(
            lambda app: app.confirm_appointment(
                code, registry, role, organisation_code, "second registrar"
            )
        )


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def user_for(username: str, *, staff: bool = False, superuser: bool = False) -> Any:
    return get_user_model().objects.create_user(
        username=username, password="x" * 20, is_staff=staff or superuser, is_superuser=superuser
    )


def sole_role(username: str) -> str:
    """``registry/role`` of the person's one current appointment; "" for none (a citizen)."""
    roles = {
        f"{registry}/{role}"
        for registry, role in AppointmentRecord.objects.filter(
            person__personal_code=username, active=True
        ).values_list("registry", "role")
    }
    if len(roles) > 1:
        raise ValueError(f"{username} holds {sorted(roles)}: say which role the token acts in")
    return roles.pop() if roles else ""


def api_token(user: Any, role: str | None = None) -> str:
    """A static API token for ``user`` in ``role`` (default: their one role, or citizen)."""
    return issue_api_token(user, sole_role(user.get_username()) if role is None else role)


def token_client(username: str, *, superuser: bool = False, role: str | None = None) -> APIClient:
    """An API client with a new user's static token, acting in ``role`` (default: the
    person's one role, or as a citizen)."""
    user = user_for(username, superuser=superuser)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user, role)}")
    return client
