"""What every registry's REST API shares: the command permission and the view base.

Who may read and act: see :mod:`registries.common.api`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from registries.access.roles import role_message, user_has_role
from registries.access.tokens import token_allows_role
from registries.common.texts import N_


class CommandPermission(BasePermission):
    """Safe methods for everyone; commands need the view's ``command_role``
    (an official's role in the identity registry, e.g. business registrar) or,
    for views without one, its Django ``command_permission``."""

    message = N_("You do not have the permission to issue commands in this registry.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 for an unauthenticated request
        role: tuple[str, str] | None = getattr(view, "command_role", None)
        if role:
            if not (user_has_role(user, *role) and token_allows_role(request.auth, *role)):
                self.message = role_message(*role)
                return False
            return True
        required: str | None = getattr(view, "command_permission", None)
        if not required:
            return False
        if not user.has_perm(required):
            self.message = f"Issuing this command needs the permission {required!r}."
            return False
        return True


class RegistryAPIView(GenericAPIView[Any]):
    """Base of registry endpoints that accept commands (POST)."""

    permission_classes = [CommandPermission]
    command_role: ClassVar[tuple[str, str] | None] = None
    command_permission: ClassVar[str] = ""
