"""The health registry in the admin, for the Ministry of Social Affairs.

No health content is shown anywhere here: the list shows record ids, counts
and consent flags; a record's page shows its consents and its entries'
metadata (numbers, kinds, providers, doctors, dates). Opening a record's page
or its history, and every searched or filtered list (registrars find a patient
by their exact personal code, e.g. to erase the record), is a read of the
patients' data and is recorded by the data tracker (:mod:`registries.tracker.pages`). The one
command is erasure (crypto-shredding), for health registrars, from the
catalog (``registries.health.commands``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from registries.access.admin import html_table
from registries.access.roles import user_has_role
from registries.common.codes import InvalidCodeError, validate_personal_code
from registries.health.commands import COMMANDS, PATIENT
from registries.health.keystore import subject_of
from registries.health.models import PatientRecord
from registries.health.reading import track_admin_read
from registries.tracker.pages import HISTORY, RECORD, SEARCH, TrackedAdmin


def can_act_in_health(request: HttpRequest) -> bool:
    """Health registrars (the ministry) erase records."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(
        user, "health", "registrar"
    )


@admin.register(PatientRecord)
class PatientRecordAdmin(TrackedAdmin):
    """Patients' records: metadata only, every page view tracked."""

    catalog = COMMANDS
    target = PATIENT
    list_display = [
        "__str__",
        "entries",
        "closed_to_all",
        "erased",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_filter = ["closed_to_all", "erased"]
    search_fields = ["subject"]  # see get_search_results: by the person's code only
    search_help_text = (
        "The patient's exact personal code (the search is recorded by the data tracker)"
    )
    fieldsets = [
        (None, {"fields": ["aggregate_id", "entries", "closed_to_all", "erased", "erased_seq"]}),
        (_("Consent"), {"fields": ["consents_table"]}),
        (_("Entries"), {"fields": ["entries_table"]}),
        (_("On the chain"), {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_health(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PatientRecord], search_term: str
    ) -> tuple[QuerySet[PatientRecord], bool]:
        """The record of the patient with this exact personal code (the page that shows
        it is a tracked read, as every searched list is)."""
        code = search_term.strip()
        if not code:
            return queryset, False
        try:
            validate_personal_code(code)
        except InvalidCodeError:
            return queryset.none(), False
        return queryset.filter(subject=subject_of(code)), False

    def track_shown(self, request: HttpRequest, records: list[Any], page: str) -> None:
        """The patients of the records shown are the subjects of the read."""
        what = {
            RECORD: "health record metadata (admin)",
            HISTORY: "health record history (admin)",
            SEARCH: "health records found by a filter (admin)",
        }[page]
        track_admin_read(records, request.user.get_username(), what)

    @admin.display(description=_("consents"))
    def consents_table(self, record: PatientRecord) -> str:
        rows: list[list[Any]] = [[c.provider, c.state] for c in record.consents.all()]
        return html_table([_("provider"), _("state")], rows, _("open to every provider"))

    @admin.display(description=_("entries (metadata only)"))
    def entries_table(self, record: PatientRecord) -> str:
        rows: list[list[Any]] = [
            [e.number, e.kind, e.provider, e.doctor, e.on, e.dispensed_on or "", e.ledger_seq]
            for e in record.entry_set.all()
        ]
        return html_table(
            [
                _("number"),
                _("kind"),
                _("provider"),
                _("doctor"),
                _("date"),
                _("dispensed"),
                _("ledger seq"),
            ],
            rows,
            _("no entries"),
        )
