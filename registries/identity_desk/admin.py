"""The ministry's admin for the identity registry.

Changes are the catalog's commands (``registries.identity_desk.commands``),
issued by identity registrars; an appointment that needs four eyes offers its
Confirm button only to registrars other than the one who proposed it. The first
two registrars come from ``manage.py bootstrap_registrar`` (shown as appointed
by ``operator:<name>``). Persons and appointments are personal data: besides
registrars only staff granted Django's ``view_*`` permission see them.
The person pages show what a registrar needs (code, names, birth date, sex,
death, keys, appointments, representations), never the aggregate id.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from registries.access.admin import CommandAdmin, html_table
from registries.access.roles import user_has_role
from registries.common.api import text_contains
from registries.common.search import REGISTRY_CODE
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    RepresentativeRecord,
)
from registries.identity.vocabulary import BOARD_REPRESENTED_KINDS
from registries.identity_desk.api.serializers import sees_erasure_reason
from registries.identity_desk.commands import (
    APPOINTMENT,
    COMMANDS,
    ORGANISATION,
    PERSON,
    REPRESENTATIVE,
)

_DIGITS = re.compile(r"^[0-9]+$")


def can_act_in_identity(request: HttpRequest) -> bool:
    """Identity registrars issue identity commands (the first ones come from the
    operator's ``manage.py bootstrap_registrar``, not from a superuser)."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    return user_has_role(user, "identity", "registrar")


class AliveFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("alive", "alive"), ("dead", "dead")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "alive":
            return queryset.filter(died_on=None)
        if self.value() == "dead":
            return queryset.exclude(died_on=None)
        return queryset


class IdentityAdmin(CommandAdmin):
    """Base of the identity registry's admins."""

    catalog = COMMANDS
    list_per_page = 50

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_identity(request)


# When a person's relation to a registry or organisation began and ended, and its ledger entry.
_TENURE_FIELDS = [
    "appointed_seq",
    "appointed_by",
    "ended_seq",
    "ended_by",
    "ledger_seq",
    "block_height",
    "ledger_level",
]


class PersonRelationAdmin(IdentityAdmin):
    """Base of the admins of a person's appointments and representations: both are
    found by a person's or organisation's code or the person's name, and show when
    the relation began and ended on the chain after the fields of ``relation_fields``."""

    relation_fields: list[str] = []
    list_select_related = ["person"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """The relation's own fields, then its tenure on the chain."""
        return [
            (None, {"fields": self.relation_fields}),
            (_("On the chain"), {"fields": _TENURE_FIELDS}),
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """An exact personal or organisation code, or parts of the person's names in any case."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if _DIGITS.match(term):
            return queryset.filter(Q(person__personal_code=term) | Q(organisation_code=term)), False
        matches = Q()
        for word in term.split():
            matches &= text_contains("person__first_name", word) | text_contains(
                "person__last_name", word
            )
        return queryset.filter(matches), False

    @admin.display(description=_("personal code"), ordering="person__personal_code")
    def personal_code(self, record: AppointmentRecord | RepresentativeRecord) -> str:
        return record.person.personal_code

    @admin.display(description=_("name"), ordering="person__last_name")
    def person_name(self, record: AppointmentRecord | RepresentativeRecord) -> str:
        return f"{record.person.first_name} {record.person.last_name}"


class PersonChangeList(ChangeList):
    """Links each person by their personal code, not an internal number."""

    def url_for_result(self, result: Any) -> str:
        return reverse(
            "admin:identity_personrecord_change",
            args=[quote(result.personal_code)],
            current_app=self.model_admin.admin_site.name,
        )


@admin.register(PersonRecord)
class PersonRecordAdmin(IdentityAdmin):
    """Persons: read-only records, found in URLs by their personal code; changes only
    through command forms."""

    change_form_template = "admin/identity/personrecord/change_form.html"

    list_display = [
        "personal_code",
        "first_name",
        "last_name",
        "born",
        "status",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["personal_code", "first_name", "last_name"]
    list_filter = [AliveFilter, "sex"]
    search_fields = ["=personal_code", "first_name", "last_name"]  # see get_search_results
    search_help_text = "An exact personal code, or part of a first or last name"
    ordering = ["last_name", "first_name", "personal_code"]
    target = PERSON
    registration = "register-person"
    fieldsets = [
        (None, {"fields": ["personal_code", "first_name", "last_name", "born", "sex", "status"]}),
        (_("e-ID keys"), {"fields": ["keys_table"]}),
        (_("Appointments as an official"), {"fields": ["appointments_table"]}),
        (_("Representative of organisations"), {"fields": ["representations_table"]}),
        (_("On the chain"), {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
        (_("Ledger history"), {"fields": ["history_table"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """The person's fields, and a pending erasure request: who asked and when for
        everyone who sees the page, why only for identity registrars
        (:func:`~registries.identity_desk.api.serializers.sees_erasure_reason`)."""
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.erasure_requested_by:
            fields: list[Any] = ["erasure_requested_by", "erasure_requested_at"]
            if sees_erasure_reason(request, obj.personal_code):
                fields.append("erasure_reason")
            fieldsets.insert(1, (_("Erasure asked for"), {"fields": fields}))
        return fieldsets

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PersonRecord], search_term: str
    ) -> tuple[QuerySet[PersonRecord], bool]:
        """An exact personal code, or part of a first or last name in any case."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if _DIGITS.match(term):
            return queryset.filter(personal_code=term), False
        matches = Q()
        for word in term.split():
            matches &= text_contains("first_name", word) | text_contains("last_name", word)
        return queryset.filter(matches), False

    def added_record(self, result: object, data: dict[str, Any]) -> PersonRecord:
        return PersonRecord.objects.get(personal_code=result)

    def record_key(self, record: PersonRecord) -> str:
        return record.personal_code

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> PersonRecord | None:
        """The person with this personal code (the key of person URLs)."""
        return self.get_queryset(request).filter(personal_code=object_id).first()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PersonChangeList

    @admin.display(description=_("status"))
    def status(self, record: PersonRecord) -> str:
        return "alive" if record.died_on is None else f"died {record.died_on:%Y-%m-%d}"

    @admin.display(description=_("keys"))
    def keys_table(self, record: PersonRecord) -> str:
        # The public key in full beside its id: what `riik_client keygen` prints.
        rows: list[list[Any]] = [
            [
                k.key_id,
                format_html('<code class="public-key">{}</code>', k.public_key),
                k.status,
                k.valid_from_seq,
                k.valid_until_seq or "-",
                k.revoked_reason or "-",
            ]
            for k in record.keys.all()
        ]
        return html_table(
            [
                _("key id"),
                _("public key (hex)"),
                _("status"),
                _("valid from seq"),
                _("valid until seq"),
                _("revocation reason"),
            ],
            rows,
            _("no keys registered"),
        )

    @admin.display(description=_("appointments"))
    def appointments_table(self, record: PersonRecord) -> str:
        rows: list[list[Any]] = [
            [
                a.registry,
                a.role,
                a.organisation_code or "-",
                "current" if a.active else "awaiting confirmation" if a.pending else "ended",
                a.appointed_seq,
                a.ended_seq or "-",
            ]
            for a in record.appointments.all()
        ]
        return html_table(
            [
                _("registry"),
                _("role"),
                _("organisation"),
                _("status"),
                _("appointed (seq)"),
                _("ended (seq)"),
            ],
            rows,
            _("not an official"),
        )

    @admin.display(description=_("representations"))
    def representations_table(self, record: PersonRecord) -> str:
        representations = list(record.representations.all())
        names = dict(
            OrganisationRecord.objects.filter(
                registry_code__in={r.organisation_code for r in representations}
            ).values_list("registry_code", "name")
        )
        rows: list[list[Any]] = [
            [
                r.organisation_code,
                names.get(r.organisation_code, "-"),
                r.title,
                "current" if r.active else "ended",
                r.appointed_seq,
                r.ended_seq or "-",
            ]
            for r in representations
        ]
        return html_table(
            [
                _("organisation"),
                _("name"),
                _("title"),
                _("status"),
                _("appointed (seq)"),
                _("ended (seq)"),
            ],
            rows,
            _("represents no organisation"),
        )


@admin.register(OrganisationRecord)
class OrganisationRecordAdmin(IdentityAdmin):
    """Organisations: read-only register cards; registration through a form."""

    list_display = ["registry_code", "name", "kind", "ledger_seq", "block_height", "ledger_level"]
    list_display_links = ["registry_code", "name"]
    list_filter = ["kind"]
    search_fields = ["name", "=registry_code"]  # see get_search_results
    search_help_text = "Part of the name, or an exact registry code"
    ordering = ["name", "registry_code"]
    target = ORGANISATION
    registration = "register-organisation"
    fieldsets = [
        (None, {"fields": ["registry_code", "name", "kind"]}),
        (_("Representatives"), {"fields": ["representatives_table"]}),
        (_("On the chain"), {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
        (_("Ledger history"), {"fields": ["history_table"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OrganisationRecord], search_term: str
    ) -> tuple[QuerySet[OrganisationRecord], bool]:
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if REGISTRY_CODE.match(term):
            return queryset.filter(registry_code=term), False
        return queryset.filter(text_contains("name", term)), False

    def added_record(self, result: object, data: dict[str, Any]) -> OrganisationRecord:
        return OrganisationRecord.objects.get(registry_code=result)

    @admin.display(description=_("representatives"))
    def representatives_table(self, record: OrganisationRecord) -> str:
        if record.kind in BOARD_REPRESENTED_KINDS:
            return html_table(
                [],
                [],
                _("a company is represented by its management board in the business registry"),
            )
        rows = [
            [
                r.person.personal_code,
                f"{r.person.first_name} {r.person.last_name}",
                r.title,
                "current" if r.active else "ended",
                r.appointed_seq,
                r.ended_seq or "-",
            ]
            for r in RepresentativeRecord.objects.select_related("person").filter(
                organisation_code=record.registry_code
            )
        ]
        return html_table(
            [
                _("personal code"),
                _("name"),
                _("title"),
                _("status"),
                _("appointed (seq)"),
                _("ended (seq)"),
            ],
            rows,
            _("no representatives"),
        )


@admin.register(AppointmentRecord)
class AppointmentRecordAdmin(PersonRelationAdmin):
    """Officials: appointments by registry and role; appoint and dismiss through forms."""

    list_display = [
        "personal_code",
        "person_name",
        "registry",
        "role",
        "organisation_code",
        "active",
        "pending",
        "appointed_seq",
        "ended_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["personal_code", "person_name"]
    list_filter = ["active", "pending", "registry", "role"]
    search_fields = ["=person__personal_code", "person__last_name"]  # see get_search_results
    search_help_text = "An exact personal code, part of a name, or an organisation's registry code"
    ordering = ["registry", "role", "person__last_name", "-appointed_seq"]
    target = APPOINTMENT
    registration = "appoint-official"
    relation_fields = [
        "personal_code",
        "person_name",
        "registry",
        "role",
        "organisation",
        "active",
        "pending",
        "appointed_by",
        "confirmed_seq",
        "confirmed_by",
    ]

    def added_record(self, result: object, data: dict[str, Any]) -> AppointmentRecord:
        return AppointmentRecord.objects.get(
            person__personal_code=data["personal_code"],
            registry=data["registry"],
            role=data["role"],
            organisation_code=data["organisation_code"] or "",
            ended_seq=None,
        )

    @admin.display(description=_("organisation"))
    def organisation(self, record: AppointmentRecord) -> str:
        if not record.organisation_code:
            return "-"
        found = OrganisationRecord.objects.filter(registry_code=record.organisation_code).first()
        return str(found) if found is not None else record.organisation_code


@admin.register(RepresentativeRecord)
class RepresentativeRecordAdmin(PersonRelationAdmin):
    """Representatives of organisations (not companies): appoint and remove through forms."""

    list_display = [
        "organisation_code",
        "organisation",
        "personal_code",
        "person_name",
        "title",
        "active",
        "appointed_seq",
        "ended_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["organisation_code", "personal_code"]
    list_filter = ["active"]
    search_fields = ["=organisation_code", "=person__personal_code"]  # see get_search_results
    search_help_text = "An organisation's registry code, an exact personal code, or part of a name"
    ordering = ["organisation_code", "-active", "-appointed_seq"]
    target = REPRESENTATIVE
    registration = "appoint-representative"
    relation_fields = [
        "organisation_code",
        "organisation",
        "personal_code",
        "person_name",
        "title",
        "active",
    ]

    def added_record(self, result: object, data: dict[str, Any]) -> RepresentativeRecord:
        return RepresentativeRecord.objects.get(
            organisation_code=data["code"], person__personal_code=data["personal_code"], active=True
        )

    @admin.display(description=_("organisation name"))
    def organisation(self, record: RepresentativeRecord) -> str:
        found = OrganisationRecord.objects.filter(registry_code=record.organisation_code).first()
        return found.name if found is not None else "-"
