"""The courts' admin for the court registry.

Opening a case's page or its history, and every search or filtered list, is
a read of the parties' data, recorded by the data tracker
(:mod:`registries.tracker.pages`). Changes are the catalog's commands
(``registries.court.commands``), issued by judges. Cases hold personal data:
besides judges, only staff granted Django's ``court.view_caserecord`` see them.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registries.access.admin import html_table
from registries.access.roles import user_has_role
from registries.common.api import text_contains
from registries.court.commands import CASE, COMMANDS
from registries.court.models import CaseRecord, EnforcementRecord
from registries.court.reading import track_court_read
from registries.identity.services import names_of
from registries.tracker.pages import RECORD, SEARCH, TrackedAdmin

_CASE_NUMBER = re.compile(r"^[1-3]-[0-9]{2}-[0-9]+$")
_DIGITS = re.compile(r"^[0-9]+$")


def can_act_in_court(request: HttpRequest) -> bool:
    """Judges of the court registry issue its commands."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(user, "court", "judge")


@admin.register(CaseRecord)
class CaseRecordAdmin(TrackedAdmin):
    """Court cases: read-only records; changes only through command forms."""

    catalog = COMMANDS
    target = CASE
    registration = "open"
    list_per_page = 50

    def track_shown(self, request: HttpRequest, records: list[Any], page: str) -> None:
        """A case's page or history, or the cases a search or filter found: their parties
        are the subjects of the read."""
        if page == SEARCH:
            what = "cases found by a search or filter (admin)"
        else:
            number = records[0].number
            what = f"case {number} (admin)" if page == RECORD else f"case {number} history (admin)"
        track_court_read(request.user, records, what, None)

    list_display = [
        "number",
        "title",
        "kind",
        "court_code",
        "status",
        "opened_on",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["kind", "status", "public", "court_code"]
    search_fields = ["=number", "title", "=parties__code"]  # see get_search_results
    search_help_text = "A case number, a party's personal or registry code, or part of the title"
    ordering = ["-opened_on", "number"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "kind",
                    "court_code",
                    "judge_code",
                    "title",
                    "public",
                    "status",
                    "opened_on",
                    "closed_on",
                    "outcome",
                ]
            },
        ),
        (_("Parties"), {"fields": ["parties_table"]}),
        (_("Hearings"), {"fields": ["hearings_table"]}),
        (_("Judgments"), {"fields": ["judgments_table"]}),
        (_("Appeals"), {"fields": ["appeals_table"]}),
        (_("Effects in other registries"), {"fields": ["enforcement_table"]}),
        (_("On the chain"), {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
        (_("Ledger history"), {"fields": ["history_table"]}),
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_court(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CaseRecord], search_term: str
    ) -> tuple[QuerySet[CaseRecord], bool]:
        """An exact case number or party code, or part of the title in any case."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if _CASE_NUMBER.match(term):
            return queryset.filter(number=term), False
        if _DIGITS.match(term):
            return queryset.filter(Q(parties__code=term) | Q(court_code=term)).distinct(), False
        return queryset.filter(text_contains("title", term)), False

    def added_record(self, result: object, data: dict[str, Any]) -> CaseRecord:
        return CaseRecord.objects.get(number=result)

    # Read-only tables.

    @admin.display(description=_("parties"))
    def parties_table(self, record: CaseRecord) -> str:
        parties = list(record.parties.all())
        names = names_of(p.code for p in parties)  # one query for the page's parties
        rows: list[list[Any]] = [
            [p.role, p.party_kind, p.code, names.get(p.code, ""), p.ledger_seq] for p in parties
        ]
        return html_table(
            [_("role"), _("kind"), _("code"), _("name"), _("ledger seq")], rows, _("no parties")
        )

    @admin.display(description=_("hearings"))
    def hearings_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                h.number,
                f"{timezone.localtime(h.starts_at):%Y-%m-%d %H:%M}",
                h.room,
                h.status,
                h.cancel_reason or "-",
                h.ledger_seq,
            ]
            for h in record.hearings.all()
        ]
        return html_table(
            [
                _("no"),
                _("starts at"),
                _("room"),
                _("status"),
                _("cancelled because"),
                _("ledger seq"),
            ],
            rows,
            _("no hearings"),
        )

    @admin.display(description=_("judgments"))
    def judgments_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                j.number,
                j.kind,
                j.summary,
                j.given_on,
                j.appeal_deadline,
                j.status.replace("_", " "),
                j.final_on or "-",
                j.company_code or j.cadastral_code or "-",
                j.final_seq or "-",
            ]
            for j in record.judgments.all()
        ]
        return html_table(
            [
                _("no"),
                _("kind"),
                _("summary"),
                _("given on"),
                _("appeal deadline"),
                _("status"),
                _("final on"),
                _("company / land unit"),
                _("final (seq)"),
            ],
            rows,
            _("no judgments"),
        )

    @admin.display(description=_("appeals"))
    def appeals_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                a.number,
                a.judgment,
                a.appellant_code,
                a.grounds,
                a.filed_on,
                a.status,
                a.decision_summary or "-",
                a.decided_by or "-",
            ]
            for a in record.appeals.all()
        ]
        return html_table(
            [
                _("no"),
                _("judgment"),
                _("appellant"),
                _("grounds"),
                _("filed"),
                _("status"),
                _("decision"),
                _("decided by"),
            ],
            rows,
            _("no appeals"),
        )

    @admin.display(description=_("effects"))
    def enforcement_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [e.judgment, e.registry, e.action, e.target, e.outcome, e.detail or "-", e.cause]
            for e in EnforcementRecord.objects.filter(case_number=record.number)
        ]
        return html_table(
            [
                _("judgment"),
                _("registry"),
                _("command"),
                _("target"),
                _("outcome"),
                _("detail"),
                _("cause"),
            ],
            rows,
            _("none"),
        )
