"""The identity registry's commands, each declared once for the API and the admin.

Identity registrars (the first two bootstrapped by the operator:
``manage.py bootstrap_registrar``) register persons and organisations, change
names, record deaths, register, rotate and revoke e-ID keys, appoint, confirm
(four eyes) and dismiss officials, ask for and approve (four eyes) a person's
erasure, and appoint and remove the representatives of organisations that are
not companies (a company's management board in the business registry
represents it). A citizen registers, rotates and revokes
their own keys too.

Some commands have two ways in from the admin: appointing an official from
the person's page or from the officials' list, appointing a representative
from the organisation's page or from the representatives' list. Each way is a
command of its own here, sharing one application call.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django import forms
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.batches import batch_input, batch_reply
from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm, Ask
from registries.access.signing import require_signature_by_current_key, signed_payload
from registries.common.codes import checked_personal_code, checked_registry_code
from registries.common.texts import N_
from registries.identity.application import IdentityRegistry, NewPerson
from registries.identity.erasure import erase_person_everywhere
from registries.identity.models import PersonRecord
from registries.identity.projections import PROJECTIONS
from registries.identity.services import official_code_of
from registries.identity.vocabulary import (
    ACTIVE,
    BOARD_REPRESENTED_KINDS,
    ORGANISATION_KINDS,
    REVOKED,
)
from registries.identity_desk.api.serializers import (
    AppointmentSerializer,
    DeathSerializer,
    ErasedSerializer,
    ErasureSerializer,
    ErasureWithdrawalSerializer,
    KeyRevocationSerializer,
    NameChangeSerializer,
    OfficialSerializer,
    OrganisationDetailSerializer,
    OrganisationRegistrationSerializer,
    PersonRegistrationSerializer,
    PersonSerializer,
    PublicKeyInputSerializer,
    RepresentativeAppointmentSerializer,
    RepresentativeSerializer,
)
from registries.identity_desk.api.views import (
    ORGANISATION_CODE_PARAMETER,
    PERSON_CODE_PARAMETER,
    PERSON_CODE_PARAMETER_OF,
    TAGS,
    IdentityRegistrar,
    official_body,
    organisation_record,
    person_body,
    representative_record,
)

KEY_ID_PARAMETER = OpenApiParameter(
    "key_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9a-f]{16}$",
    description="Key id: first 8 bytes of SHA-256 of the raw public key, hex",
)


class KeyHolderOrRegistrar(BasePermission):
    """The citizen on their own keys, or an identity registrar."""

    message = N_("only the key holder or a registrar of the identity registry may do this")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        own = official_code_of(user)
        if own is not None and user.is_active and own == view.kwargs.get("code"):
            return True
        return IdentityRegistrar().has_permission(request, view)


def _key_holder_signing(command: str) -> type[BasePermission]:
    """A key holder changing their own keys signs the act with their current key.

    A stolen bearer token alone must not let anyone put their own key in
    (issue 14, item 4). An identity registrar acting in person needs no such
    signature: a lost or revoked card leaves no current key to sign with.
    """

    class KeyHolderSigning(KeyHolderOrRegistrar):
        def has_permission(self, request: Request, view: Any) -> bool:
            if not super().has_permission(request, view):
                return False
            if IdentityRegistrar().has_permission(request, view):
                return True
            code = view.kwargs["code"]
            with require_signature_by_current_key(
                request, code, command, signed_payload(request.data)
            ):
                return True

    KeyHolderSigning.__name__ = KeyHolderSigning.__qualname__ = f"KeyHolderSigning{command}"
    return KeyHolderSigning


def parse_public_key(text: str) -> bytes:
    """A raw 32-byte key written as 64 hex digits or as base64."""
    text = "".join(text.split())
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        msg = "An Ed25519 public key is 32 bytes: 64 hex digits or 44 base64 characters."
        raise forms.ValidationError(msg)
    return raw


# The admin's forms: generated from the input serializers; here, what the ministry is asked
# in other words than the API's.

PUBLIC_KEY = Ask(
    label=N_("Ed25519 public key"),
    help_text=N_("The raw 32-byte public key as 64 hex digits or base64."),
    to_api=parse_public_key,
)
ROLE = Ask(
    help_text=N_(
        "registrar: identity, business, property, health (ministry); "
        "judge, investigator: court; notary: property; doctor, pharmacist: health; "
        "auditor: any registry"
    ),
)


def _unrevoked_keys(record: PersonRecord) -> list[tuple[str, str]]:
    """The person's keys that can still be revoked, to choose from."""
    return [(k.key_id, f"{k.key_id} ({k.status})") for k in record.keys.exclude(status=REVOKED)]


# When the admin offers a command ---------------------------------------------------------------


def _has_active_key(record: PersonRecord) -> bool:
    return record.keys.filter(status=ACTIVE).exists()


def _has_unrevoked_key(record: PersonRecord) -> bool:
    return record.keys.exclude(status=REVOKED).exists()


# The application calls that more than one command makes -----------------------------------------


def _appoint(app: IdentityRegistry, data: dict[str, Any], who: str) -> None:
    app.appoint_official(
        data["personal_code"],
        data["registry"],
        data["role"],
        data.get("organisation_code") or None,
        who,
    )


def _appoint_representative(app: IdentityRegistry, data: dict[str, Any], who: str) -> None:
    app.appoint_representative(data["personal_code"], data["code"], data["title"], who)


# The catalog -----------------------------------------------------------------------------------


ORGANISATIONS = Target(route="organisations/", tags=TAGS)
ORGANISATION = Target(
    route="organisations/<str:code>/",
    tags=TAGS,
    parameters=(ORGANISATION_CODE_PARAMETER,),
    check=lambda code: checked_registry_code(code),
    key=lambda record, who: {"code": record.registry_code},
)
REPRESENTATIVES = Target(route="organisations/<str:code>/representatives/", tags=TAGS)
REPRESENTATIVE = Target(
    route="organisations/<str:code>/representatives/<str:personal_code>/",
    tags=TAGS,
    parameters=(ORGANISATION_CODE_PARAMETER, PERSON_CODE_PARAMETER_OF),
    check=lambda code, personal_code: (
        checked_registry_code(code),
        checked_personal_code(personal_code),
    ),
    key=lambda record, who: {
        "code": record.organisation_code,
        "personal_code": record.person.personal_code,
    },
)
PERSONS = Target(route="persons/", tags=TAGS)
# Births and population register imports: many persons in one transaction.
PERSON_BATCHES = Target(route="person-registrations/", tags=TAGS)
PERSON = Target(
    route="persons/<str:code>/",
    tags=TAGS,
    parameters=(PERSON_CODE_PARAMETER,),
    check=lambda code, **ids: checked_personal_code(code),
    key=lambda record, who: {"code": record.personal_code},
)
OFFICIALS = Target(route="officials/", tags=TAGS)
APPOINTMENT = Target(
    route="officials/",
    tags=TAGS,
    key=lambda record, who: {
        "personal_code": record.person.personal_code,
        "registry": record.registry,
        "role": record.role,
        "organisation_code": record.organisation_code or None,
    },
)

ORGANISATION_REGISTERED = Reply(
    OrganisationDetailSerializer,
    lambda request, data, code: OrganisationDetailSerializer(organisation_record(str(code))).data,
    location=lambda request, data, code: request.build_absolute_uri(
        reverse("identity:organisation-detail", args=[code])
    ),
)
REPRESENTATION = Reply(
    RepresentativeSerializer,
    lambda request, data, result: (
        RepresentativeSerializer(representative_record(data["code"], data["personal_code"])).data
    ),
)
NEW_REPRESENTATION = Reply(
    REPRESENTATION.serializer,
    REPRESENTATION.body,
    location=lambda request, data, result: request.build_absolute_uri(
        reverse("identity:organisation-representative", args=[data["code"], data["personal_code"]])
    ),
)
PERSON_REGISTERED = Reply(
    PersonSerializer,
    lambda request, data, code: person_body(request, str(code)),
    location=lambda request, data, code: request.build_absolute_uri(
        reverse("identity:person-detail", args=[code])
    ),
)
# Every command on a person answers with their record.
PERSON_RECORD = Reply(
    PersonSerializer, lambda request, data, result: person_body(request, data["code"])
)
OFFICIAL = Reply(OfficialSerializer, lambda request, data, result: official_body(data))


def _on_person(**declaration: Any) -> Command:
    """A registrar's command on one person, answered with their record."""
    return Command(
        **{
            "target": PERSON,
            "permission": IdentityRegistrar,
            "reply": PERSON_RECORD,
            **declaration,
        }
    )


COMMANDS = Catalog(
    IdentityRegistry,
    PROJECTIONS,
    [
        Command(
            name="register-person",
            title=N_("Register person"),
            target=PERSONS,
            permission=IdentityRegistrar,
            reply=PERSON_REGISTERED,
            input=PersonRegistrationSerializer,
            url_name="person-list",
            summary="Register a person",
            description="Register persons in the population register (identity registrars).",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 409, 429),
            form=AdminForm(
                ask={
                    "personal_code": Ask(
                        help_text=N_("Isikukood; birth date and sex are taken from it.")
                    )
                }
            ),
            run=lambda app, data, who: app.register_person(
                data["personal_code"], data["first_name"], data["last_name"], who
            ),
        ),
        Command(
            name="register-persons",
            title=N_("Register persons"),
            target=PERSON_BATCHES,
            permission=IdentityRegistrar,
            reply=batch_reply("RegisteredPersonsSerializer", "codes", "personal codes"),
            input=batch_input(
                "PersonRegistrationsSerializer", "persons", PersonRegistrationSerializer, "persons"
            ),
            url_name="person-registrations",
            summary="Register many persons at once",
            description=(
                "Register persons in one transaction (births, a population register\n"
                "import): all of them or, if one is refused, none (the problem names it,\n"
                "such as `persons.3`)."
            ),
            status=status.HTTP_201_CREATED,
            run=lambda app, data, who: app.register_persons(
                [
                    NewPerson(item["personal_code"], item["first_name"], item["last_name"])
                    for item in data["persons"]
                ],
                who,
            ),
        ),
        _on_person(
            name="name",
            title=N_("Change names"),
            input=NameChangeSerializer,
            route="name/",
            url_name="person-name",
            summary="Change a person's names",
            description="Record a person's new names.",
            form=AdminForm(
                ask={
                    "first_name": Ask(initial=lambda record: record.first_name),
                    "last_name": Ask(initial=lambda record: record.last_name),
                }
            ),
            done=N_("Names changed"),
            available=lambda record: record.alive,
            run=lambda app, data, who: app.change_name(
                data["code"], data["first_name"], data["last_name"], who
            ),
        ),
        _on_person(
            name="death",
            title=N_("Record death"),
            input=DeathSerializer,
            route="death/",
            url_name="person-death",
            summary="Record a person's death",
            description="Record a person's death: appointments end, the active key expires.",
            form=AdminForm(ask={"died_on": Ask(label=N_("Date of death"))}),
            done=N_("Death recorded"),
            available=lambda record: record.alive,
            run=lambda app, data, who: app.record_death(data["code"], data["died_on"], who),
        ),
        _on_person(
            name="request-erasure",
            title=N_("Ask for erasure"),
            input=ErasureSerializer,
            route="erasure/request/",
            url_name="person-erasure-request",
            summary="Ask for a person's erasure (the first of two identity registrars)",
            description=(
                "Ask for a person's erasure, saying why. Erasing is irreversible, so it takes "
                "four eyes: it happens only when a different identity registrar approves it "
                "(erasure/). The request (who, when, why) is on the person's record until "
                "then. 409 if an erasure was asked for already."
            ),
            problems=(400, 401, 403, 404, 409, 410, 429),
            form=AdminForm(ask={"reason": Ask(text=True)}),
            done=N_("Erasure asked for: a different registrar approves it"),
            available=lambda record: not record.erasure_requested_by,
            run=lambda app, data, who: app.request_erasure(data["code"], data["reason"], who),
        ),
        _on_person(
            name="withdraw-erasure",
            title=N_("Withdraw erasure request"),
            input=ErasureWithdrawalSerializer,
            route="erasure/withdrawal/",
            url_name="person-erasure-withdrawal",
            summary="Withdraw a pending request for a person's erasure",
            description=(
                "Withdraw the erasure an identity registrar asked for (the one who asked or "
                "another), saying why; recorded on the chain, nothing is erased. 404 if no "
                "erasure was asked for, 410 once the person is erased."
            ),
            problems=(400, 401, 403, 404, 409, 410, 429),
            form=AdminForm(ask={"reason": Ask(text=True)}),
            done="Erasure request withdrawn",
            available=lambda record: bool(record.erasure_requested_by),
            run=lambda app, data, who: app.withdraw_erasure(data["code"], data["reason"], who),
        ),
        _on_person(
            name="erase-person",
            title=N_("Approve erasure"),
            input=ErasureSerializer,
            reply=Reply(
                ErasedSerializer,
                lambda request, data, result: {"erased": True, "reason": data["reason"]},
            ),
            route="erasure/",
            url_name="person-erasure",
            summary="Approve a person's erasure (crypto-shredding; a second identity registrar)",
            description=(
                "Approve the erasure a different identity registrar asked for (four eyes: 404 "
                "if nobody asked, 409 four-eyes for the registrar who asked) and erase the "
                "person from the identity, court, health and tracker registries: their keys "
                "are destroyed and the read models name them only as erased. 410 if the "
                "person was erased before."
            ),
            problems=(400, 401, 403, 404, 409, 410, 429),
            form=AdminForm(
                ask={
                    "reason": Ask(
                        text=True,
                        help_text=N_(
                            "Approving erases the person's data in every registry for "
                            "good (four eyes: you did not ask for it)."
                        ),
                    )
                }
            ),
            done=N_("Person erased: their keys are destroyed"),
            available=lambda record: bool(record.erasure_requested_by),
            # Four eyes: not offered to the registrar who asked (the registry refuses anyway).
            may=lambda record, who: who != record.erasure_requested_by,
            run=lambda app, data, who: erase_person_everywhere(
                app, data["code"], who, data["reason"]
            ),
        ),
        _on_person(
            name="register-key",
            title=N_("Register key"),
            permission=_key_holder_signing("register-key"),
            input=PublicKeyInputSerializer,
            route="keys/",
            url_name="person-keys",
            summary="Register a person's e-ID public key",
            description=(
                "Register the first key (or a new one after revocation); the key holder may do it."
            ),
            status=status.HTTP_201_CREATED,
            form=AdminForm(ask={"public_key": PUBLIC_KEY}),
            done=N_("Key registered"),
            available=lambda record: record.alive and not _has_active_key(record),
            run=lambda app, data, who: app.register_key(data["code"], data["public_key"], who),
        ),
        _on_person(
            name="rotate-key",
            title=N_("Rotate key"),
            permission=_key_holder_signing("rotate-key"),
            input=PublicKeyInputSerializer,
            route="keys/rotation/",
            url_name="person-key-rotation",
            summary="Rotate a person's e-ID key",
            description="Replace the active key; the old key stays verifiable for old signatures.",
            status=status.HTTP_201_CREATED,
            form=AdminForm(ask={"public_key": PUBLIC_KEY}),
            done=N_("Key rotated"),
            available=lambda record: record.alive and _has_active_key(record),
            run=lambda app, data, who: app.rotate_key(data["code"], data["public_key"], who),
        ),
        _on_person(
            name="revoke-key",
            title=N_("Revoke key"),
            permission=KeyHolderOrRegistrar,
            input=KeyRevocationSerializer,
            route="keys/<str:key_id>/revocation/",
            url_name="person-key-revocation",
            summary="Revoke one of a person's keys",
            description="Revoke a key: nothing verifies against it any more.",
            parameters=(KEY_ID_PARAMETER,),
            form=AdminForm(
                ask={
                    "key_id": Ask(
                        label=N_("Key"),
                        choices=_unrevoked_keys,
                        help_text=N_(
                            "From now on the key signs nothing: not a sign-in, not a command."
                        ),
                    ),
                    "reason": Ask(
                        text=True,
                        help_text=N_("Such as “ID card lost”; kept in the register's history."),
                    ),
                }
            ),
            done=N_("Key revoked"),
            available=_has_unrevoked_key,
            run=lambda app, data, who: app.revoke_key(
                data["code"], str(data["key_id"]).lower(), data["reason"], who
            ),
        ),
        _on_person(
            name="appoint",
            title=N_("Appoint as official"),
            form=AdminForm(
                serializer=AppointmentSerializer, omit=("personal_code",), ask={"role": ROLE}
            ),
            done=N_("Appointed"),
            available=lambda record: record.alive,
            run=lambda app, data, who: _appoint(app, {**data, "personal_code": data["code"]}, who),
        ),
        Command(
            name="register-organisation",
            title=N_("Register organisation"),
            target=ORGANISATIONS,
            permission=IdentityRegistrar,
            reply=ORGANISATION_REGISTERED,
            input=OrganisationRegistrationSerializer,
            url_name="organisation-list",
            summary="Register an organisation",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 409, 429),
            form=AdminForm(
                ask={
                    "registry_code": Ask(help_text=N_("8 digits with the check digit.")),
                    "kind": Ask(choices=ORGANISATION_KINDS),
                }
            ),
            run=lambda app, data, who: app.register_organisation(
                data["registry_code"], data["name"], data["kind"], who
            ),
        ),
        Command(
            name="representative",
            title=N_("Appoint representative"),
            target=ORGANISATION,
            permission=IdentityRegistrar,
            reply=NEW_REPRESENTATION,
            input=RepresentativeAppointmentSerializer,
            route="representatives/",
            url_name="organisation-representatives",
            summary="Appoint a representative of an organisation that is not a company",
            status=status.HTTP_201_CREATED,
            form=AdminForm(
                ask={"personal_code": Ask(help_text=N_("Isikukood of the representative."))}
            ),
            done=N_("Representative appointed"),
            available=lambda record: record.kind not in BOARD_REPRESENTED_KINDS,
            run=_appoint_representative,
        ),
        Command(
            name="appoint-representative",
            title=N_("Appoint representative"),
            target=REPRESENTATIVES,
            permission=IdentityRegistrar,
            form=AdminForm(
                serializer=RepresentativeAppointmentSerializer,
                ask={
                    "code": Ask(
                        name="organisation_code",
                        field=forms.CharField(
                            max_length=8,
                            help_text=N_("Registry code of the organisation (not a company)."),
                        ),
                    ),
                    "personal_code": Ask(help_text=N_("Isikukood of the representative.")),
                },
            ),
            run=_appoint_representative,
        ),
        Command(
            name="removal",
            title=N_("Remove"),
            target=REPRESENTATIVE,
            permission=IdentityRegistrar,
            reply=REPRESENTATION,
            route="removal/",
            url_name="organisation-representative-removal",
            summary="Remove a representative of an organisation",
            description="End a person's representation of an organisation (identity registrars).",
            problems=(400, 401, 403, 404, 429),
            form=AdminForm(
                confirm=N_(
                    "End this representation (the person's tokens for the organisation "
                    "stop working)"
                )
            ),
            done=N_("Representative removed"),
            available=lambda record: record.active,
            run=lambda app, data, who: app.remove_representative(
                data["personal_code"], data["code"], who
            ),
        ),
        Command(
            name="appoint-official",
            title=N_("Appoint official"),
            target=OFFICIALS,
            permission=IdentityRegistrar,
            reply=OFFICIAL,
            input=AppointmentSerializer,
            url_name="official-list",
            summary="Appoint an official",
            description=(
                "Appoint an official (identity registrars). An appointment to a role that reads "
                "persons' health or court data is only proposed (active: false) until a second "
                "identity registrar confirms it (officials/confirmation/). Nobody appoints "
                "themselves (403 self-appointment)."
            ),
            status=status.HTTP_201_CREATED,
            form=AdminForm(
                ask={"personal_code": Ask(help_text=N_("Isikukood of the official.")), "role": ROLE}
            ),
            run=_appoint,
        ),
        Command(
            name="confirmation",
            title=N_("Confirm appointment"),
            target=APPOINTMENT,
            permission=IdentityRegistrar,
            reply=OFFICIAL,
            input=AppointmentSerializer,
            route="confirmation/",
            url_name="official-confirmation",
            summary="Confirm a proposed appointment (a second identity registrar)",
            description=(
                "An appointment to a role that reads persons' health or court data (any role of "
                "the health and court registries, and auditors) is only proposed by the registrar "
                "who appoints; it takes effect when a different identity registrar confirms it "
                "(four eyes, 409 four-eyes). Nobody confirms their own appointment (403 "
                "self-appointment)."
            ),
            problems=(400, 401, 403, 404, 409, 429),
            form=AdminForm(
                confirm=N_(
                    "I confirm this appointment (four eyes: I did not propose it and it is "
                    "not mine)"
                )
            ),
            done=N_("Appointment confirmed"),
            available=lambda record: record.pending,
            # Four eyes: offered to neither the proposer nor the appointee (the
            # registry refuses their confirmations anyway).
            may=lambda record, who: who not in (record.appointed_by, record.person.personal_code),
            run=lambda app, data, who: app.confirm_appointment(
                data["personal_code"],
                data["registry"],
                data["role"],
                data.get("organisation_code") or None,
                who,
            ),
        ),
        Command(
            name="dismissal",
            title=N_("Dismiss"),
            target=APPOINTMENT,
            permission=IdentityRegistrar,
            reply=OFFICIAL,
            input=AppointmentSerializer,
            route="dismissal/",
            url_name="official-dismissal",
            summary="Dismiss an official",
            description=(
                "Dismiss an official, or withdraw an appointment awaiting confirmation "
                "(identity registrars)."
            ),
            form=AdminForm(confirm=N_("End this appointment (or withdraw the proposal)")),
            done=N_("Official dismissed"),
            available=lambda record: record.active or record.pending,
            run=lambda app, data, who: app.dismiss_official(
                data["personal_code"],
                data["registry"],
                data["role"],
                data.get("organisation_code") or None,
                who,
            ),
        ),
    ],
)
