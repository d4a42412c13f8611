"""Helpers that make realistic registry data for tests."""

from __future__ import annotations

import contextlib
from datetime import date
from uuid import uuid4

from registries.business.application import BusinessRegistry, Registration
from registries.common.application import running
from registries.common.codes import personal_code
from registries.common.commands import issue
from registries.common.errors import Conflict
from registries.identity.application import IdentityRegistry
from registries.identity.projections import PROJECTIONS as IDENTITY_PROJECTIONS
from registries.identity.services import person_exists

# The founder and board member of every company the factory registers.
FOUNDER = personal_code(date(1985, 3, 14), "F", 1)


def registered_founder() -> str:
    """The factory's founder, registered in the population register on first use (so
    that only the first company of a test writes identity entries too)."""
    if not person_exists(FOUNDER):
        # A concurrent writer may register the founder first: just as good.
        with contextlib.suppress(Conflict):
            issue(
                IdentityRegistry,
                IDENTITY_PROJECTIONS,
                lambda app: app.register_person(FOUNDER, "Mari", "Tamm", "registrar"),
            )
    return FOUNDER


def register_company(
    name: str | None = None, legal_form: str = "OÜ", app: BusinessRegistry | None = None
) -> str:
    """Register a company through the business registry (``app``, by default the
    process's running one); return its code."""
    founder = registered_founder()
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


def database_url(alias: str = "default") -> str:
    """DATABASE_URL of the database this test runs on (the test database)."""
    from django.db import connections

    connection = connections[alias]
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


def database_env() -> dict[str, str]:
    """DATABASE_URL and every DATABASE_URL_<REGISTRY> of this test's databases,
    for a child process that must see what the test sees (ADR 0069)."""
    from django.conf import settings

    found = {"DATABASE_URL": database_url()}
    for registry, alias in settings.RIIK_LOG_DATABASES.items():
        if alias != "default":
            found[f"DATABASE_URL_{registry.upper()}"] = database_url(alias)
    return found
