"""The health registry in the admin, for the Ministry of Social Affairs.

No health content is shown anywhere here: the list shows record ids, counts
and consent flags; a record's page shows its consents and its entries'
metadata (numbers, kinds, providers, doctors, dates). Opening a record's page
is a read of the patient's data and is recorded by the data tracker; so is
finding a patient's record by their personal code (the list's search), so
that a registrar can find the record to erase. The one
command is erasure (crypto-shredding), for health registrars, from the
catalog (``registries.health.commands``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from registries.access.admin import CommandAdmin, html_table
from registries.access.roles import user_has_role
from registries.common.codes import InvalidCodeError, validate_personal_code
from registries.health.commands import COMMANDS, PATIENT
from registries.health.keystore import subject_of
from registries.health.models import PatientRecord
from registries.health.reading import track_admin_read


def can_act_in_health(request: HttpRequest) -> bool:
    """Health registrars (the ministry) erase records."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(
        user, "health", "registrar"
    )


@admin.register(PatientRecord)
class PatientRecordAdmin(CommandAdmin):
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
    readonly_fields = [
        "aggregate_id",
        "entries",
        "closed_to_all",
        "consents_table",
        "entries_table",
        "erased",
        "erased_seq",
        "version",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    fieldsets = [
        (None, {"fields": ["aggregate_id", "entries", "closed_to_all", "erased", "erased_seq"]}),
        ("Consent", {"fields": ["consents_table"]}),
        ("Entries", {"fields": ["entries_table"]}),
        ("On the chain", {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_health(request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        if record is not None:
            track_admin_read(record, request.user.get_username())
        return super().change_view(request, object_id, form_url, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PatientRecord], search_term: str
    ) -> tuple[QuerySet[PatientRecord], bool]:
        """The record of the patient with this exact personal code; finding it is a
        tracked read, like opening its page."""
        code = search_term.strip()
        if not code:
            return queryset, False
        try:
            validate_personal_code(code)
        except InvalidCodeError:
            return queryset.none(), False
        found = queryset.filter(subject=subject_of(code))
        for record in found:
            track_admin_read(record, request.user.get_username())
        return found, False

    @admin.display(description="consents")
    def consents_table(self, record: PatientRecord) -> str:
        rows: list[list[Any]] = [[c.provider, c.state] for c in record.consents.all()]
        return html_table(["provider", "state"], rows, "open to every provider")

    @admin.display(description="entries (metadata only)")
    def entries_table(self, record: PatientRecord) -> str:
        rows: list[list[Any]] = [
            [e.number, e.kind, e.provider, e.doctor, e.on, e.dispensed_on or "", e.ledger_seq]
            for e in record.entry_set.all()
        ]
        return html_table(
            ["number", "kind", "provider", "doctor", "date", "dispensed", "ledger seq"],
            rows,
            "no entries",
        )
