"""The health registry in the admin, for the Ministry of Social Affairs.

No health content is shown anywhere here: the list shows record ids, counts
and consent flags; a record's page shows its consents and its entries'
metadata (numbers, kinds, providers, doctors, dates). Opening a record's page
is a read of the patient's data and is recorded by the data tracker. The one
command is erasure (crypto-shredding), for health registrars.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from registries.access.roles import user_has_role
from registries.common.admin import CommandAdmin, CommandForm, RecordCommand, html_table
from registries.common.errors import NotFound
from registries.health.application import HealthRegistry
from registries.health.models import PatientRecord
from registries.health.projections import PROJECTIONS
from registries.health.reading import patient_code_of, track_admin_read


def can_act_in_health(request: HttpRequest) -> bool:
    """Health registrars (the ministry) erase records."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(
        user, "health", "registrar"
    )


class ErasureForm(CommandForm):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea, help_text="Why the record is erased"
    )


def _erase(app: HealthRegistry, record: PatientRecord, form: Any, who: str) -> None:
    patient = patient_code_of(record, who, "erasure")
    if patient is None:
        raise NotFound("the record's key is already destroyed")
    app.erase(patient, form.cleaned_data["reason"], who)


@admin.register(PatientRecord)
class PatientRecordAdmin(CommandAdmin):
    """Patients' records: metadata only, every page view tracked."""

    application = HealthRegistry
    projections = PROJECTIONS
    change_form_template = "admin/health/patientrecord/change_form.html"
    commands = {
        "erase": RecordCommand(
            "erase",
            "Erase (crypto-shred)",
            ErasureForm,
            _erase,
            "Record erased: the patient's key is destroyed",
            available=lambda record: not record.erased,
        )
    }
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
