"""Permissions from officials' roles in the identity registry.

An official is a Django user whose username is their personal code
(:func:`registries.identity.services.official_code_of`); what they may do
follows from their current appointments (``has_role``). Use in a DRF view::

    permission_classes = [registry_role("court", "judge")]

Anonymous callers get 401 (problem+json), everyone else without the role 403
with a message such as "only a judge of the court registry may do this". The
admin uses :func:`user_has_role` for the same check.

An official signs in to the admin with their e-ID for one role
(:mod:`registries.access.admin_signin`); the session keeps it under
:data:`SESSION_ROLE`, and each request of the session is served acting only
in that role (``acting_only_as``), so :func:`user_has_role` honours it alone.

A Django superuser holds no role: the first identity registrars come from the
operator's bootstrap (``manage.py bootstrap_registrar``), not from a superuser.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.tokens import token_allows_role
from registries.common.errors import InvalidCommand
from registries.identity.services import has_role, official_code_of
from registries.identity.vocabulary import article, check_role

__all__ = [
    "SESSION_ROLE",
    "RolePermission",
    "registry_role",
    "request_has_role",
    "role_message",
    "user_has_role",
]


SESSION_ROLE = "riik_role"
"""Session key of the ``registry/role`` an official chose when signing in to the admin."""


def role_message(registry: str, role: str) -> str:
    """``only a judge of the court registry may do this``."""
    return f"only {article(role)} of the {registry} registry may do this"


def user_has_role(user: Any, registry: str, role: str) -> bool:
    """Whether a Django user is an active official holding ``role`` in ``registry``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", False):
        return False
    code = official_code_of(user)
    return code is not None and has_role(code, registry, role)


def request_has_role(request: Request, registry: str, role: str) -> bool:
    """Whether the request's user holds ``role`` and its credentials may act as it
    (a sign-in token acts only as the role it was issued for)."""
    return user_has_role(request.user, registry, role) and token_allows_role(
        request.auth, registry, role
    )


class RolePermission(BasePermission):
    """Base of the classes :func:`registry_role` makes (for ``isinstance`` and typing)."""

    message: str = "only an official with the right role may do this"
    required: tuple[str, str] = ("", "")


def registry_role(registry: str, role: str) -> type[RolePermission]:
    """A DRF permission class: the caller holds ``role`` in ``registry``.

    Raises ``ValueError`` at once for a role that never acts in that registry
    (a typo would otherwise lock everyone out quietly).
    """
    try:
        check_role(registry, role)
    except InvalidCommand as error:
        raise ValueError(str(error)) from None

    class RegistryRole(RolePermission):
        message = role_message(registry, role)
        required = (registry, role)

        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                raise NotAuthenticated()
            return user_has_role(user, registry, role) and token_allows_role(
                request.auth, registry, role
            )

    RegistryRole.__name__ = RegistryRole.__qualname__ = f"{registry.title()}{role.title()}Role"
    return RegistryRole
