"""What every registry's REST API shares and that needs no registry: text search.

The command permission, the view base and who issues a command need the
identity registry's roles and the sign-in tokens: they are in
:mod:`registries.access`.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q


def text_contains(field: str, text: str) -> Q:
    """``field`` contains ``text``, ignoring case, also for letters such as Õ/õ or Š/š.

    SQLite's LIKE folds ASCII letters only; its REGEXP (Python's ``re``, which
    Django installs) folds every letter, so SQLite searches with an escaped
    case-insensitive pattern. PostgreSQL's ILIKE folds by the database locale.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__iregex": re.escape(text)})
    return Q(**{f"{field}__icontains": text})


__all__ = ["text_contains"]
