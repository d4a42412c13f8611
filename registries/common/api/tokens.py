"""Short-lived bearer tokens issued by e-ID sign-in, and their DRF authentication.

A token is 32 random bytes shown once to the client; the database keeps only
its SHA-256, so a leaked table signs nobody in. Each token expires after
``RIIK_TOKEN_LIFETIME`` seconds and may be tied to one official role
(``business/registrar``): such a token acts only as that official, a plain
citizen token never acts as an official (:func:`token_allows_role`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from registries.common.models import AccessToken

KEYWORD = "Bearer"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: Any, role: str = "") -> tuple[str, datetime]:
    """A new token for ``user`` (acting as ``role``, if given) and when it expires."""
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=settings.RIIK_TOKEN_LIFETIME)
    AccessToken.objects.create(key_hash=_digest(token), user=user, role=role, expires_at=expires_at)
    return token, expires_at


def token_allows_role(auth: object, registry: str, role: str) -> bool:
    """Whether the request's credentials may act as ``role`` of ``registry``.

    A sign-in token acts only as the role it was issued for; other credentials
    (sessions, the admin's API tokens) are not narrowed.
    """
    if not isinstance(auth, AccessToken):
        return True
    return auth.role == f"{registry}/{role}"


class SignInTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` with a token from e-ID sign-in."""

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        """The token's user, or None when the request carries no bearer token."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("the token is not ASCII") from None
        record = AccessToken.objects.select_related("user").filter(key_hash=_digest(token)).first()
        if record is None or not record.user.is_active:
            raise AuthenticationFailed("unknown token; sign in again")
        if record.expires_at <= timezone.now():
            raise AuthenticationFailed("the token has expired; sign in again")
        return record.user, record

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) to requests without credentials."""
        return f'{KEYWORD} realm="api"'


class SignInTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The bearer scheme in the OpenAPI schema."""

    target_class = "registries.common.api.tokens.SignInTokenAuthentication"
    name = "eidToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """An HTTP bearer scheme."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from POST /api/v1/identity/sign-in/ (e-ID challenge-response)",
        }
