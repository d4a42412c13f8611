"""The central bank's and the banks' admin for the money registry.

Wallets are listed and shown read-only with their balance, what is held at
their linked bank, their latest payments and their ledger history; a bank's
official sees only the wallets linked to their bank, the central bank's
official the banks' own wallets (DESIGN §8: amounts and counterparties are
for the parties and their banks). Every change is a command from the catalog
(``registries.money.commands``): a bank opens and closes wallets and sets
their linked bank; the central bank issues into and redeems from a bank's
wallet (the form collects the supernode quorum's certificate). The central
bank's acts are listed read-only with their certificates.

Who may act: a representative of a bank or of the central bank in the
identity registry (a user whose username is their personal code). A
wallet's page, its history and a searched or filtered list are tracked
reads of the persons whose wallets they show (the holder sees them at
``/me/data-tracker/``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from registries.access.admin import CommandAdmin, euros, html_table
from registries.common.api.serializers import ledger_history
from registries.common.codes import PERSON
from registries.money.api.views import latest_payments
from registries.money.commands import COMMANDS, WALLET
from registries.money.models import ActRecord, WalletRecord
from registries.money.officials import BANK, CENTRAL_BANK, acting_for
from registries.tracker.pages import HISTORY, RECORD, SEARCH, TrackedAdmin
from registries.tracker.services import record_read


def banks_of(request: HttpRequest) -> tuple[str | None, str | None]:
    """The bank and the central bank the signed-in user represents (each None if none)."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return None, None
    who = user.get_username()
    return acting_for(who, BANK), acting_for(who, CENTRAL_BANK)


@admin.register(WalletRecord)
class WalletRecordAdmin(TrackedAdmin):
    """Wallets: read-only; opened, closed and relinked by a bank, funded by the central bank."""

    catalog = COMMANDS
    target = WALLET
    registration = "open-wallet"
    list_per_page = 50

    list_display = [
        "holder",
        "holder_kind",
        "bank",
        "open",
        "balance",
        "at_bank",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_filter = ["holder_kind", "open"]
    search_fields = ["=holder"]
    search_help_text = "An exact personal or registry code"
    ordering = ["holder"]
    fields = [
        "holder",
        "holder_kind",
        "bank",
        "open",
        "balance",
        "at_bank",
        "payments_table",
        "ledger_seq",
        "block_height",
        "ledger_level",
        "version",
        "history_table",
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return any(banks_of(request))

    def get_queryset(self, request: HttpRequest) -> QuerySet[WalletRecord]:
        """Only the wallets of my bank; for the central bank, the banks' own wallets."""
        bank, central = banks_of(request)
        mine = Q(pk__in=[])
        if bank is not None:
            mine |= Q(bank=bank)
        if central is not None:
            mine |= Q(holder=F("bank"))
        return super().get_queryset(request).filter(mine)

    def track_shown(self, request: HttpRequest, records: list[Any], page: str) -> None:
        """The persons holding the wallets shown are the subjects of the read."""
        what = {
            RECORD: "wallet and payments (admin)",
            HISTORY: "wallet history (admin)",
            SEARCH: "wallets found by a search or filter (admin)",
        }[page]
        record_read(
            reader=request.user.get_username(),
            subjects=[record.holder for record in records if record.holder_kind == PERSON],
            registry="money",
            what=what,
            purpose="serving the bank's customers (admin)",
        )

    def added_record(self, result: object, data: dict[str, Any]) -> WalletRecord:
        return WalletRecord.objects.get(holder=result)

    @admin.display(description=_("balance"))
    def balance(self, record: WalletRecord) -> str:
        return euros(record.balance_cents)

    @admin.display(description=_("held at the bank"))
    def at_bank(self, record: WalletRecord) -> str:
        return euros(record.at_bank_cents)

    @admin.display(description=_("latest payments"))
    def payments_table(self, record: WalletRecord) -> str:
        rows: list[list[Any]] = [
            [
                p.ledger_seq,
                p.payment_id,
                p.payer,
                p.payee,
                euros(p.amount_cents),
                euros(p.topped_up_cents),
                euros(p.swept_cents),
            ]
            for p in latest_payments(record.holder)
        ]
        return html_table(
            [
                _("seq"),
                _("payment id"),
                _("payer"),
                _("payee"),
                _("amount"),
                _("topped up"),
                _("swept"),
            ],
            rows,
            _("no payments"),
        )

    @admin.display(description=_("ledger history"))
    def history_table(self, record: WalletRecord) -> str:
        rows = [
            [h["seq"], h["event"], h["recorded_at"], h["block_height"] or "-", h["level"]]
            for h in ledger_history("money", record.aggregate_id)
        ]
        return html_table(
            [_("seq"), _("event"), _("recorded at"), _("block"), _("level")], rows, _("no entries")
        )


@admin.register(ActRecord)
class ActRecordAdmin(CommandAdmin):
    """The central bank's acts with their supernode certificates (public, read-only)."""

    catalog = COMMANDS
    list_display = ["act_id", "act", "wallet", "amount", "height", "ledger_seq", "ledger_level"]
    list_filter = ["act"]
    search_fields = ["=act_id", "=wallet"]
    fields = [
        "act_id",
        "act",
        "wallet",
        "amount",
        "height",
        "certificate_table",
        "actor",
        "ledger_seq",
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return any(banks_of(request))

    @admin.display(description=_("amount"))
    def amount(self, record: ActRecord) -> str:
        return euros(record.amount_cents)

    @admin.display(description=_("certificate"))
    def certificate_table(self, record: ActRecord) -> str:
        """The supernode votes that certified the act, one a row (not the stored JSON)."""
        rows = [
            [vote.get("signer", ""), vote.get("key_id", ""), vote.get("round", "")]
            for vote in record.certificate or []
        ]
        return html_table([_("signer"), _("key id"), _("round")], rows, _("no votes"))
