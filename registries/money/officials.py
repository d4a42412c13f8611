"""Who acts for a bank or the central bank.

A bank's officials are its representatives in the identity registry. Through
the API they sign in for the bank (an organisation token, whose actor is the
bank's registry code); in the admin they act as themselves, for the bank of
that kind they represent. :func:`acting_for` turns either actor into the
bank's registry code.
"""

from __future__ import annotations

from registries.common.codes import InvalidCodeError, validate_registry_code
from registries.common.errors import RegistryError
from registries.common.projections import catch_up
from registries.common.texts import N_, Message
from registries.identity.models import OrganisationRecord, RepresentativeRecord
from registries.identity.projections import PROJECTIONS as IDENTITY_PROJECTIONS
from registries.money.application import BANK, CENTRAL_BANK

__all__ = ["BANK", "CENTRAL_BANK", "NotAnOfficial", "acting_for", "official_of"]


def _is_registry_code(code: str) -> bool:
    try:
        validate_registry_code(code)
    except InvalidCodeError:
        return False
    return True


def acting_for(actor: str, kind: str) -> str | None:
    """The registry code of the organisation of ``kind`` that ``actor`` acts for, if any.

    ``actor`` is a registry code when an organisation token acts (the sign-in
    checked the representation), else the personal code of a person who must
    be a current representative of one (the first by code if several).
    """
    # A representation or a bank registered a moment ago counts at once.
    for projection in IDENTITY_PROJECTIONS:
        catch_up(projection)
    if _is_registry_code(actor):
        found = OrganisationRecord.objects.filter(registry_code=actor, kind=kind).exists()
        return actor if found else None
    banks = OrganisationRecord.objects.filter(kind=kind).values("registry_code")
    code: str | None = (
        RepresentativeRecord.objects.filter(
            person__personal_code=actor,
            person__died_on=None,
            active=True,
            organisation_code__in=banks,
        )
        .order_by("organisation_code")
        .values_list("organisation_code", flat=True)
        .first()
    )
    return code


class NotAnOfficial(RegistryError):
    """The caller acts for no bank (or no central bank) as the command needs."""

    status = 403
    title = N_("Not an official of the bank")
    slug = "not-a-bank-official"


def official_of(actor: str, kind: str) -> str:
    """The registry code of the bank (or central bank) ``actor`` acts for; else refused."""
    found = acting_for(actor, kind)
    if found is None:
        what = "the central bank" if kind == CENTRAL_BANK else "a bank"
        raise NotAnOfficial(Message(N_("only an official of {what} may do this"), {"what": what}))
    return found
