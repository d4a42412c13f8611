"""What every registry's REST API shares and that needs no registry: public reads, checked input.

Reads are public (or narrowed by the registry's own views); commands need an
authenticated official holding the command's role in the identity registry
(such as the business registrar). Anonymous callers get 401, everyone else
without the role 403, both as problem+json. The commands themselves are
generated from each registry's catalog (:mod:`registries.access.catalog`); who
issues one is :func:`registries.access.tokens.actor`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Q
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

# How OpenAPI documents a public read: a token or session is accepted but not needed.
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]


def public_read(write: type[BasePermission]) -> type[BasePermission]:
    """A DRF permission class: reads for everyone, every other method needs ``write``."""

    class PublicRead(BasePermission):
        message: str = getattr(write, "message", "You do not have permission to do this.")

        def has_permission(self, request: Request, view: Any) -> bool:
            if request.method in SAFE_METHODS:
                return True
            permission = write()
            allowed = bool(permission.has_permission(request, view))
            # A refusal says what ``write`` said (its message may name the case).
            self.message = getattr(permission, "message", self.message)
            return allowed

    PublicRead.__name__ = PublicRead.__qualname__ = f"PublicReadAnd{write.__name__}"
    return PublicRead


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The data after the serializer's checks (a 400 problem listing the fields if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def text_contains(field: str, text: str) -> Q:
    """``field`` contains ``text``, ignoring case, also for letters such as Õ/õ or Š/š.

    SQLite's LIKE folds ASCII letters only; its REGEXP (Python's ``re``, which
    Django installs) folds every letter, so SQLite searches with an escaped
    case-insensitive pattern. PostgreSQL's ILIKE folds by the database locale.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__iregex": re.escape(text)})
    return Q(**{f"{field}__icontains": text})


__all__ = ["PUBLIC", "public_read", "text_contains", "validated"]
