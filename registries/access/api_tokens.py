"""Static API tokens for officials' scripts (and the demo's patients): hashed, one role, 8 h.

``manage.py demo`` and ``manage.py api_token`` hand out such tokens
(``Authorization: Token <token>``). A leaked token should be worth little:

* the database keeps only its SHA-256 (:func:`registries.access.tokens.token_digest`),
  so a dump or a backup of the table signs nobody in; the token itself is shown
  once, when it is made;
* it is bound to exactly one role (``registry/role``; "" for a person acting as
  a citizen) and acts only in it, everywhere (:func:`token_allows_role`, and
  :class:`registries.access.middleware.TokenRoleMiddleware` narrows the holder's
  roles for the whole request);
* one older than ``RIIK_API_TOKEN_LIFETIME`` seconds is refused and deleted.

Citizens and officials using the e-services sign in with their e-ID instead
(:mod:`registries.access.tokens`), whose tokens also end with the key.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from registries.access.tokens import CheckedOnce, token_digest
from registries.common.errors import InvalidCommand
from registries.common.models import ApiToken
from registries.identity.vocabulary import check_role

KEYWORD = "Token"


def checked_role(role: str) -> str:
    """``role`` if it is "" (citizen) or a ``registry/role`` that exists, else ValueError."""
    if not role:
        return role
    registry, _, name = role.partition("/")
    try:
        check_role(registry, name)
    except InvalidCommand as error:
        raise ValueError(f"role {role!r}: {error}") from None
    return role


def issue_api_token(user: Any, role: str) -> str:
    """A new static token for ``user`` acting only as ``role`` ("" for none); shown once,
    since only its digest is kept."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(key_hash=token_digest(token), user=user, role=checked_role(role))
    return token


def _lookup(token: str) -> tuple[Any, ApiToken]:
    record = ApiToken.objects.select_related("user").filter(key_hash=token_digest(token)).first()
    if record is None or not record.user.is_active:
        raise AuthenticationFailed(gettext("unknown API token; ask for a new one"))
    lifetime = timedelta(seconds=settings.RIIK_API_TOKEN_LIFETIME)
    if record.created_at <= timezone.now() - lifetime:
        record.delete()
        raise AuthenticationFailed(gettext("the API token has expired; ask for a new one"))
    return record.user, record


class ApiTokenAuthentication(CheckedOnce[ApiToken]):
    """``Authorization: Token <token>``: a static token, for at most
    ``RIIK_API_TOKEN_LIFETIME`` seconds and only in its role."""

    keyword = KEYWORD
    checked_attribute = "_riik_api_token_checked"

    def _check(self, parts: list[bytes]) -> tuple[Any, ApiToken]:
        if len(parts) != 2:
            raise AuthenticationFailed(gettext("the Authorization header must be 'Token <token>'"))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(gettext("the token is not ASCII")) from None
        return _lookup(token)

    def authenticate_header(self, request: Request) -> str:
        """The scheme a 401 names."""
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The static token scheme in the OpenAPI schema."""

    target_class = "registries.access.api_tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """An API key in the Authorization header, prefixed with ``Token``."""
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'Token-based authentication with required prefix "Token": an official\'s '
                "static token, bound to one role, expiring after RIIK_API_TOKEN_LIFETIME"
            ),
        }
