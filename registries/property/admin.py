"""The ministry's admin for the land register.

Land units are listed, searched (cadastral code, address, owner code) and
filtered (purpose, seizure), and shown read-only with the four parts of their
title register, their transfers with the notaries' endorsements, their ledger
seq, block and level, and their ledger history. Every change is a command
issued through a form generated from the catalog (``registries.property.commands``):
register a land unit, change part I, enter and remove part III entries, enter
and release mortgages, and file a notary-endorsed transfer (the form takes
the notary's signature). Seizure notes have no form: only the court
registry's process writes them. A refused command shows the registry's
message as a form error and writes nothing.

Who may act: property registrars (a user whose username is their personal
code and who holds the property registrar appointment, ``user_has_role``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from registries.access.admin import CommandAdmin, euros, html_table
from registries.access.roles import user_has_role
from registries.common.api import text_contains
from registries.common.api.serializers import ledger_history
from registries.property.api.serializers import signed_message
from registries.property.commands import COMMANDS, UNIT
from registries.property.models import LandUnitRecord


def can_act_in_property(request: HttpRequest) -> bool:
    """Property registrars issue land register commands."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    return user_has_role(user, "property", "registrar")


@admin.register(LandUnitRecord)
class LandUnitRecordAdmin(CommandAdmin):
    """Land units: read-only title registers; changes only through command forms."""

    catalog = COMMANDS
    target = UNIT
    registration = "register"
    list_per_page = 50

    list_display = [
        "cadastral_code",
        "address",
        "purpose",
        "area_m2",
        "owner_codes",
        "under_seizure",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["cadastral_code", "address"]
    list_filter = ["purpose", "under_seizure"]
    search_fields = ["cadastral_code", "address", "=owners__owner_code"]  # see get_search_results
    search_help_text = "Start of a cadastral code, part of the address, or an exact owner code"
    ordering = ["cadastral_code"]
    fieldsets = [
        ("I Description", {"fields": ["cadastral_code", "area_m2", "purpose", "address"]}),
        ("II Owners", {"fields": ["owners_table"]}),
        ("III Restrictions and encumbrances", {"fields": ["under_seizure", "restrictions_table"]}),
        ("IV Mortgages", {"fields": ["mortgages_table"]}),
        ("Transfers and their endorsements", {"fields": ["transfers_table"]}),
        (
            "On the chain",
            {"fields": ["ledger_seq", "block_height", "ledger_level", "version", "aggregate_id"]},
        ),
        ("Ledger history", {"fields": ["history_table"]}),
    ]
    readonly_fields = [
        "cadastral_code",
        "area_m2",
        "purpose",
        "address",
        "owners_table",
        "under_seizure",
        "restrictions_table",
        "mortgages_table",
        "transfers_table",
        "ledger_seq",
        "block_height",
        "ledger_level",
        "version",
        "aggregate_id",
        "history_table",
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_property(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LandUnitRecord]:
        return super().get_queryset(request).prefetch_related("owners")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LandUnitRecord], search_term: str
    ) -> tuple[QuerySet[LandUnitRecord], bool]:
        """Start of a cadastral code, part of the address in any case, or an exact owner code."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        matches = (
            Q(cadastral_code__startswith=term)
            | text_contains("address", term)
            | Q(owners__owner_code=term)
        )
        return queryset.filter(matches).distinct(), True

    def added_record(self, result: object, data: dict[str, Any]) -> LandUnitRecord:
        return LandUnitRecord.objects.get(cadastral_code=result)

    # Columns and read-only fields.

    @admin.display(description="owners")
    def owner_codes(self, record: LandUnitRecord) -> str:
        return format_html_join(
            ", ", "{} ({})", ((o.owner_code, o.share) for o in record.owners.all())
        )

    @admin.display(description="owners and shares")
    def owners_table(self, record: LandUnitRecord) -> str:
        rows: list[list[Any]] = [
            [o.owner_code, o.owner_kind, o.share, o.ledger_seq] for o in record.owners.all()
        ]
        return html_table(["owner", "kind", "share", "since (seq)"], rows, "no owners")

    @admin.display(description="restrictions and encumbrances")
    def restrictions_table(self, record: LandUnitRecord) -> str:
        rows: list[list[Any]] = [
            [
                r.number,
                r.kind,
                r.description,
                r.beneficiary or "-",
                r.cause or "-",
                "in force" if r.active else "removed",
                r.ledger_seq,
                r.removed_seq or "-",
            ]
            for r in record.restrictions.all()
        ]
        return html_table(
            [
                "no.",
                "kind",
                "description",
                "beneficiary",
                "cause",
                "status",
                "entered (seq)",
                "removed (seq)",
            ],
            rows,
            "none",
        )

    @admin.display(description="mortgages (in rank order)")
    def mortgages_table(self, record: LandUnitRecord) -> str:
        rows: list[list[Any]] = [
            [
                m.rank,
                euros(m.amount_cents),
                m.creditor,
                "in force" if m.active else "released",
                m.ledger_seq,
                m.released_seq or "-",
            ]
            for m in record.mortgages.order_by("rank")
        ]
        return html_table(
            ["rank", "amount", "creditor", "status", "entered (seq)", "released (seq)"],
            rows,
            "none",
        )

    @admin.display(description="transfers")
    def transfers_table(self, record: LandUnitRecord) -> str:
        rows: list[list[Any]] = [
            [
                t.ledger_seq,
                ", ".join(t.sellers),
                ", ".join(f"{b['owner']} {b['share']}" for b in t.buyers),
                euros(t.price_cents),
                f"{t.notary} (key {t.notary_key_id})",
                t.signature,
                signed_message(t),
            ]
            for t in record.transfers.all()
        ]
        return html_table(
            ["seq", "from", "to", "price", "notary", "signature", "signed message"],
            rows,
            "no transfers since registration",
        )

    @admin.display(description="ledger history")
    def history_table(self, record: LandUnitRecord) -> str:
        rows = [
            [h["seq"], h["event"], h["recorded_at"], h["block_height"] or "-", h["level"]]
            for h in ledger_history("property", record.aggregate_id)
        ]
        return html_table(["seq", "event", "recorded at", "block", "level"], rows, "no entries")
