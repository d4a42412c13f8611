"""Helpers for the land register's tests: owners, banks, notaries with keys, registrars."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connections

from chain.ledger.models import LedgerEntry
from registries.common.application import running
from registries.common.commands import issue
from registries.property.application import PropertyRegistry, Transfer
from registries.property.endorsement import transfer_message
from registries.property.projections import PROJECTIONS
from tests.registries.identity import helpers as identity

_parcels = itertools.count(10)


@dataclass(frozen=True)
class Notary:
    """A property notary with their e-ID key."""

    code: str
    key: Ed25519PrivateKey


def run(command: Any) -> Any:
    """Issue a land register command and catch up its read models."""
    return issue(PropertyRegistry, PROJECTIONS, command)


def cadastral_code(zone: str = "78401", section: str = "101") -> str:
    """A fresh cadastral code."""
    return f"{zone}:{section}:{next(_parcels) % 10_000:04d}"


def owner(first: str = "Mari", last: str = "Tamm") -> str:
    """A registered person; return their personal code."""
    return identity.person(first, last)


def bank(name: str = "Põhjapank AS") -> str:
    """A registered bank; return its registry code."""
    return identity.organisation("bank", name)


def registrar() -> str:
    """A property registrar; return their personal code."""
    return identity.official("property", "registrar")


def person_with_key() -> Notary:
    """A person (not a notary) with a registered e-ID key."""
    code = identity.person("Kalle", "Kaval")
    key = Ed25519PrivateKey.generate()
    identity.run(lambda app: app.register_key(code, identity.raw_public(key), "registrar"))
    return Notary(code, key)


def notary() -> Notary:
    """A property notary with a registered e-ID key."""
    code = identity.official("property", "notary")
    key = Ed25519PrivateKey.generate()
    identity.run(lambda app: app.register_key(code, identity.raw_public(key), "registrar"))
    return Notary(code, key)


def register_unit(
    owners: list[tuple[str, str]] | None = None,
    code: str | None = None,
    *,
    area_m2: int = 1_250,
    purpose: str = "residential",
    address: str = "Lossi plats 1a, 10130 Tallinn",
) -> str:
    """Register a land unit (by default owned wholly by a new person); return its code."""
    code = code or cadastral_code()
    holders = owners or [(owner(), "1/1")]
    return str(
        run(
            lambda app: app.register_land_unit(
                code, area_m2, purpose, address, holders, "registrar"
            )
        )
    )


def app() -> PropertyRegistry:
    return running(PropertyRegistry)


def version_of(code: str) -> int:
    """The land unit aggregate's current version."""
    return int(app().land_unit(code).version)


def signed_transfer(
    code: str,
    signer: Notary,
    sellers: list[str],
    buyers: list[tuple[str, str]],
    *,
    price_cents: int = 12_000_000,
    unit_version: int | None = None,
    notary_code: str | None = None,
) -> Transfer:
    """A transfer signed by ``signer`` over the canonical message (of the current version)."""
    version = version_of(code) if unit_version is None else unit_version
    message = transfer_message(
        cadastral_code=code,
        sellers=sellers,
        buyers=buyers,
        price_cents=price_cents,
        unit_version=version,
        chain_id=settings.RIIK_CHAIN_ID,
    )
    return Transfer(
        sellers=sellers,
        buyers=buyers,
        price_cents=price_cents,
        unit_version=version,
        notary=notary_code or signer.code,
        signature=signer.key.sign(message),
    )


def entries() -> int:
    """How many ledger entries the property registry has."""
    return LedgerEntry.objects.filter(registry="property").count()


def stored_events() -> int:
    with connections[PropertyRegistry.database()].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM property_events")
        return int(cursor.fetchone()[0])


def written() -> tuple[int, int]:
    """(stored events, ledger entries) of the property registry."""
    return stored_events(), entries()


def signature_of(transfer: Transfer) -> bytes:
    """The raw signature of a transfer made by :func:`signed_transfer`."""
    assert isinstance(transfer.signature, bytes)
    return transfer.signature
