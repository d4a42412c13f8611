"""The officials' static API tokens (``rest_framework.authtoken``) expire.

``manage.py demo`` and the admin hand officials such tokens for scripts. A
token that never expires is a permanent takeover once leaked, so one older than
``RIIK_API_TOKEN_LIFETIME`` seconds is refused and deleted (the next
``Token.objects.get_or_create`` makes a fresh one). Citizens and officials
using the e-services sign in with their e-ID instead (:mod:`registries.access.tokens`),
whose tokens are short-lived, stored hashed and bound to a role.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` for at most ``RIIK_API_TOKEN_LIFETIME`` seconds."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        """The token's user, unless the token is unknown, inactive or expired."""
        user, token = super().authenticate_credentials(key)
        lifetime = timedelta(seconds=settings.RIIK_API_TOKEN_LIFETIME)
        if token.created <= timezone.now() - lifetime:
            token.delete()
            raise AuthenticationFailed(gettext("the API token has expired; ask for a new one"))
        return user, token
