"""Helpers that make realistic registry data for tests."""

from __future__ import annotations

import itertools
from datetime import date
from uuid import uuid4

from registries.business.application import BusinessRegistry, Registration
from registries.common.application import running
from registries.common.codes import personal_code
from registries.common.commands import issue
from registries.identity.application import IdentityRegistry
from registries.identity.projections import PROJECTIONS as IDENTITY_PROJECTIONS
from registries.identity.services import person_exists

_serials = itertools.count(1)


def person() -> str:
    """A fresh, valid personal identification code."""
    return personal_code(date(1985, 3, 14), "F", next(_serials) % 1000)


def registered_person(first_name: str = "Mari", last_name: str = "Tamm") -> str:
    """A fresh personal code, registered in the population register."""
    code = person()
    if not person_exists(code):  # the serials wrap around: a code may come again
        issue(
            IdentityRegistry,
            IDENTITY_PROJECTIONS,
            lambda app: app.register_person(code, first_name, last_name, "registrar"),
        )
    return code


def register_company(
    name: str | None = None, legal_form: str = "OÜ", app: BusinessRegistry | None = None
) -> str:
    """Register a company through the business registry (``app``, by default the
    process's running one); return its code."""
    founder = registered_person()
    return (app or running(BusinessRegistry)).register_company(
        Registration(
            name=name or f"Katse {uuid4().hex[:10]} {legal_form}",
            legal_form=legal_form,
            share_capital_cents=250_000 if legal_form == "OÜ" else 2_500_000,
            founders=[founder],
            board=[founder],
            address="Tallinn, Lossi plats 1a",
        ),
        actor="registrar",
        today=date(2026, 1, 15),
    )


def database_url() -> str:
    """DATABASE_URL of the database this test runs on (the test database)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
