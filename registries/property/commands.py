"""The land register's commands, each declared once for the API and the admin.

Property registrars issue them. A transfer of ownership carries
the notary's signature: a property registrar files the notary-signed deed, or
the endorsing notary submits it themselves (the caller's personal code equals
``notary``); either way the signature is what makes it valid, not the caller.
Seizure notes are no command here: only the court registry's process writes
them (``PropertyRegistry.note_seizure``/``lift_seizure``).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.admin import euros
from registries.access.batches import batch_input, batch_reply
from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm, Ask
from registries.access.roles import request_has_role
from registries.common.texts import N_
from registries.identity.services import official_code_of
from registries.property.api.serializers import (
    DescriptionChangeSerializer,
    EmptyCommandSerializer,
    LandUnitDetailSerializer,
    LandUnitRegistrationSerializer,
    MortgageInputSerializer,
    RestrictionInputSerializer,
    TransferInputSerializer,
)
from registries.property.api.views import (
    CODE_PARAMETER,
    TAGS,
    PropertyRegistrar,
    holdings,
    transfer_of,
    unit_body,
)
from registries.property.application import NewLandUnit, PropertyRegistry
from registries.property.models import LandUnitRecord
from registries.property.projections import PROJECTIONS
from registries.property.vocabulary import (
    PURPOSES,
    RESTRICTION_KINDS,
    SEIZURE,
    validate_cadastral_code,
)

_SEPARATORS = re.compile(r"[\s,;:=]+")

NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Part III entry number"
)
RANK_PARAMETER = OpenApiParameter(
    "rank", OpenApiTypes.INT, OpenApiParameter.PATH, description="Rank of the mortgage"
)


class RegistrarOrEndorsingNotary(BasePermission):
    """A property registrar, or the notary who endorsed the transfer (``notary`` in the body)."""

    message = (
        "only a registrar of the property registry, or the notary who endorsed the "
        "transfer, may submit it"
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        if request_has_role(request, "property", "registrar"):
            return True
        own = official_code_of(user)
        data = request.data if isinstance(request.data, dict) else {}
        return (
            own is not None
            and own == data.get("notary")
            and request_has_role(request, "property", "notary")
        )


def owner_shares(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Owners with shares as the API writes them."""
    return [{"owner": owner, "share": share} for owner, share in pairs]


def removable_restrictions(record: LandUnitRecord) -> list[Any]:
    """Part III entries a registrar may remove (seizure notes only the court lifts)."""
    return list(record.restrictions.filter(active=True).exclude(kind=SEIZURE))


# Form fields ---------------------------------------------------------------------------------


class HoldingsField(forms.CharField):
    """Owners with shares, one per line: ``<code> <numerator>/<denominator>``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 40}))
        kwargs.setdefault(
            "help_text",
            "One owner per line: a personal code (11 digits) or registry code (8 digits) and "
            "an exact share, e.g. “38001085718 1/2”.",
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[tuple[str, str]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p for p in _SEPARATORS.split(line.strip()) if p]
            if len(parts) != 2:
                raise forms.ValidationError(
                    gettext(
                        "Line {number}: write a code and a share such as 1/2, separated by a space."
                    ).format(number=number)
                )
            pairs.append((parts[0], parts[1]))
        return pairs


# The admin's forms: generated from the input serializers; here, what the ministry is asked
# in other words than the API's.

OWNERS = Ask(field=HoldingsField(), to_api=owner_shares)
BUYERS = Ask(
    field=HoldingsField(
        help_text=N_(
            "Who receives which share of the whole unit, one per line "
            "(“<code> <share>”); the shares add up to the sellers' shares."
        )
    ),
    to_api=owner_shares,
)
SELLERS = Ask(
    help_text=N_("Codes of the owners who give up their whole shares."),
    initial=lambda record: list(record.owners.values_list("owner_code", flat=True)),
)
AREA = Ask(label=N_("Area (m²)"))
PURPOSE = Ask(choices=PURPOSES)
PRICE = Ask(label=N_("Price (€)"))


# The catalog ---------------------------------------------------------------------------------


UNITS = Target(route="land-units/", tags=TAGS)
# A cadastral import: many land units in one transaction.
UNIT_BATCHES = Target(route="land-unit-registrations/", tags=TAGS)
UNIT = Target(
    route="land-units/<str:code>/",
    tags=TAGS,
    parameters=(CODE_PARAMETER,),
    check=lambda code, **ids: validate_cadastral_code(code),
    key=lambda record, who: {"code": record.cadastral_code},
)
# Every command answers with the unit's title register.
REGISTERED = Reply(
    LandUnitDetailSerializer,
    lambda request, data, code: unit_body(request, str(code)),
    location=lambda request, data, code: request.build_absolute_uri(
        reverse("property:land-unit-detail", args=[code])
    ),
)
TITLE_REGISTER = Reply(
    LandUnitDetailSerializer, lambda request, data, result: unit_body(request, data["code"])
)


def _on_unit(**declaration: Any) -> Command:
    """A registrar's command on one land unit, answered with its title register."""
    return Command(
        **{"target": UNIT, "permission": PropertyRegistrar, "reply": TITLE_REGISTER, **declaration}
    )


COMMANDS = Catalog(
    PropertyRegistry,
    PROJECTIONS,
    [
        Command(
            name="register",
            title=N_("Register land unit"),
            target=UNITS,
            permission=PropertyRegistrar,
            reply=REGISTERED,
            input=LandUnitRegistrationSerializer,
            url_name="land-unit-list",
            summary="Register a land unit with its first owners",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 409, 429),
            form=AdminForm(
                ask={
                    "cadastral_code": Ask(help_text=N_("Such as 78401:101:0010.")),
                    "area_m2": AREA,
                    "purpose": PURPOSE,
                    "owners": OWNERS,
                }
            ),
            run=lambda app, data, who: app.register_land_unit(
                data["cadastral_code"],
                data["area_m2"],
                data["purpose"],
                data["address"],
                holdings(data["owners"]),
                who,
            ),
        ),
        Command(
            name="register-land-units",
            title=N_("Register land units"),
            target=UNIT_BATCHES,
            permission=PropertyRegistrar,
            reply=batch_reply("RegisteredLandUnitsSerializer", "codes", "cadastral codes"),
            input=batch_input(
                "LandUnitRegistrationsSerializer",
                "land_units",
                LandUnitRegistrationSerializer,
                "land units",
            ),
            url_name="land-unit-registrations",
            summary="Register many land units at once",
            description=(
                "Register land units with their first owners in one transaction: all of\n"
                "them or, if one is refused, none (the problem names it, such as\n"
                "`land_units.3`)."
            ),
            status=status.HTTP_201_CREATED,
            run=lambda app, data, who: app.register_land_units(
                [
                    NewLandUnit(
                        item["cadastral_code"],
                        item["area_m2"],
                        item["purpose"],
                        item["address"],
                        holdings(item["owners"]),
                    )
                    for item in data["land_units"]
                ],
                who,
            ),
        ),
        _on_unit(
            name="description",
            title=N_("Change description"),
            input=DescriptionChangeSerializer,
            route="description/",
            url_name="land-unit-description",
            summary="Change part I: area, intended purpose, address",
            description="Change the description of a land unit.",
            form=AdminForm(
                ask={
                    "area_m2": Ask(label=AREA.label, initial=lambda record: record.area_m2),
                    "purpose": Ask(choices=PURPOSES, initial=lambda record: record.purpose),
                    "address": Ask(initial=lambda record: record.address),
                }
            ),
            done=N_("Part I changed"),
            run=lambda app, data, who: app.change_description(
                data["code"], data["area_m2"], data["purpose"], data["address"], who
            ),
        ),
        _on_unit(
            name="transfer",
            title=N_("Transfer ownership (notary-endorsed)"),
            permission=RegistrarOrEndorsingNotary,
            input=TransferInputSerializer,
            route="transfers/",
            url_name="land-unit-transfers",
            summary="Transfer ownership with a notary's endorsement",
            description=(
                "Submitted by a property registrar or by the endorsing notary. `signature` is "
                "the notary's Ed25519 signature of the canonical message that "
                "`transfer-message/` returns for the same sellers, buyers, price and "
                "`unit_version`. Nothing is written unless the signer is a property notary, the "
                "signature verifies with their current e-ID key, `unit_version` is the unit's "
                "current version, the sellers own the unit and no seizure note stands. Of two "
                "conflicting transfers the one earlier in the ledger wins; the other gets 409 "
                "naming the winner's ledger seq."
            ),
            status=status.HTTP_201_CREATED,
            form=AdminForm(
                ask={
                    "sellers": SELLERS,
                    "buyers": BUYERS,
                    "price_cents": PRICE,
                    "unit_version": Ask(
                        help_text=N_("The unit's version the notary signed (the current one)."),
                        initial=lambda record: record.version,
                    ),
                    "signature": Ask(
                        text=True,
                        help_text=N_(
                            "The notary's Ed25519 signature (128 hex digits or base64) "
                            "of the canonical transfer message: POST the same terms to "
                            "/api/v1/property/land-units/<code>/transfer-message/ to see the "
                            "exact bytes."
                        ),
                    ),
                }
            ),
            done=N_("Ownership transferred"),
            available=lambda record: not record.under_seizure,
            run=lambda app, data, who: app.transfer_ownership(data["code"], transfer_of(data), who),
        ),
        _on_unit(
            name="apply-transfer",
            title=N_("File transfer application (for a notary)"),
            form=AdminForm(
                serializer=TransferInputSerializer,
                omit=("unit_version", "signature"),
                ask={
                    "sellers": SELLERS,
                    "buyers": BUYERS,
                    "price_cents": PRICE,
                    "notary": Ask(
                        help_text=N_("Personal code of the notary asked to endorse the transfer.")
                    ),
                },
            ),
            done=N_("Transfer application filed; it awaits the notary's endorsement"),
            available=lambda record: not record.under_seizure,
            run=lambda app, data, who: app.apply_for_transfer(
                data["code"],
                data["sellers"],
                holdings(data["buyers"]),
                data["price_cents"],
                data["notary"],
                who,
            ),
        ),
        _on_unit(
            name="restriction",
            title=N_("Add restriction"),
            input=RestrictionInputSerializer,
            route="restrictions/",
            url_name="land-unit-restrictions",
            summary="Enter a restriction or encumbrance in part III",
            description="Enter a servitude, usufruct, right of pre-emption, ... in part III.",
            status=status.HTTP_201_CREATED,
            form=AdminForm(ask={"kind": Ask(choices=RESTRICTION_KINDS)}),
            done=N_("Restriction entered in part III"),
            run=lambda app, data, who: app.add_restriction(
                data["code"], data["kind"], data["description"], data["beneficiary"], who
            ),
        ),
        _on_unit(
            name="remove-restriction",
            title=N_("Remove restriction"),
            input=EmptyCommandSerializer,
            route="restrictions/<int:number>/removal/",
            url_name="land-unit-restriction-removal",
            summary="Remove a part III entry (not a seizure note)",
            description="Delete a restriction from part III.",
            parameters=(NUMBER_PARAMETER,),
            form=AdminForm(
                ask={
                    "number": Ask(
                        label=N_("Part III entry"),
                        coerce=int,
                        choices=lambda record: [
                            (r.number, f"{r.number}: {r.kind}: {r.description[:60]}")
                            for r in removable_restrictions(record)
                        ],
                    )
                }
            ),
            done=N_("Restriction removed from part III"),
            available=lambda record: bool(removable_restrictions(record)),
            run=lambda app, data, who: app.remove_restriction(data["code"], data["number"], who),
        ),
        _on_unit(
            name="mortgage",
            title=N_("Add mortgage"),
            input=MortgageInputSerializer,
            route="mortgages/",
            url_name="land-unit-mortgages",
            summary="Enter a mortgage in part IV (ranked by order of recording)",
            description=(
                "Enter a mortgage; it ranks after every mortgage recorded on the unit before it."
            ),
            status=status.HTTP_201_CREATED,
            form=AdminForm(ask={"amount_cents": Ask(label=N_("Amount (€)"))}),
            done=N_("Mortgage entered in part IV"),
            available=lambda record: not record.under_seizure,
            run=lambda app, data, who: app.add_mortgage(
                data["code"], data["amount_cents"], data["creditor"], who
            ),
        ),
        _on_unit(
            name="release-mortgage",
            title=N_("Release mortgage"),
            input=EmptyCommandSerializer,
            route="mortgages/<int:rank>/release/",
            url_name="land-unit-mortgage-release",
            summary="Release a mortgage",
            description="Delete a mortgage from part IV; the others keep their ranks.",
            parameters=(RANK_PARAMETER,),
            form=AdminForm(
                ask={
                    "rank": Ask(
                        label=N_("Mortgage"),
                        coerce=int,
                        choices=lambda record: [
                            (m.rank, f"rank {m.rank}: {euros(m.amount_cents)} to {m.creditor}")
                            for m in record.mortgages.filter(active=True)
                        ],
                    )
                }
            ),
            done=N_("Mortgage released"),
            available=lambda record: record.mortgages.filter(active=True).exists(),
            run=lambda app, data, who: app.release_mortgage(data["code"], data["rank"], who),
        ),
    ],
)
