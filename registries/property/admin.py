"""The ministry's admin for the land register.

Land units are listed, searched (cadastral code, address, owner code) and
filtered (purpose, seizure), and shown read-only with the four parts of their
title register, their transfers with the notaries' endorsements, their ledger
seq, block and level, and their ledger history. Every change is a command
issued through a form: register a land unit, change part I, enter and remove
part III entries, enter and release mortgages, and file a notary-endorsed
transfer (the form takes the notary's signature). Seizure notes have no form:
only the court registry's process writes them. A refused command shows the
registry's message as a form error and writes nothing.

Who may act: property registrars (a user whose username is their personal
code and who holds the property registrar appointment, ``user_has_role``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from registries.access.roles import user_has_role
from registries.common.admin import CommandAdmin, CommandForm, RecordCommand, html_table
from registries.common.api import text_contains
from registries.common.api.serializers import ledger_history
from registries.property.api.serializers import signed_message
from registries.property.application import PropertyRegistry, Transfer
from registries.property.domain import (
    MAX_ADDRESS_LENGTH,
    MAX_AREA_M2,
    MAX_CENTS,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PURPOSES,
    RESTRICTION_KINDS,
    SEIZURE,
)
from registries.property.models import LandUnitRecord
from registries.property.projections import PROJECTIONS

MAX_EUROS = Decimal(MAX_CENTS) / 100
_SEPARATORS = re.compile(r"[\s,;:=]+")


def can_act_in_property(request: HttpRequest) -> bool:
    """Property registrars issue land register commands."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    return user_has_role(user, "property", "registrar")


def euros(cents: int) -> str:
    """``250000`` -> ``2 500.00 €``."""
    return f"{Decimal(cents) / 100:,.2f}".replace(",", "\u202f") + " €"


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


# Form fields ---------------------------------------------------------------------------------


class CodesField(forms.CharField):
    """Personal or registry codes, one per line (commas and spaces also separate them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 24}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [code for code in re.split(r"[\s,;]+", text) if code]


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
        holdings = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p for p in _SEPARATORS.split(line.strip()) if p]
            if len(parts) != 2:
                raise forms.ValidationError(
                    f"Line {number}: write a code and a share such as 1/2, separated by a space."
                )
            holdings.append((parts[0], parts[1]))
        return holdings


class EuroField(forms.DecimalField):
    """An amount in euros with at most two decimals."""

    def __init__(self, *, min_value: Decimal = Decimal(0), **kwargs: Any) -> None:
        super().__init__(
            max_digits=16, decimal_places=2, min_value=min_value, max_value=MAX_EUROS, **kwargs
        )


# Forms --------------------------------------------------------------------------------------


class LandUnitForm(CommandForm):
    cadastral_code = forms.CharField(max_length=14, help_text="Such as 78401:101:0010.")
    area_m2 = forms.IntegerField(min_value=1, max_value=MAX_AREA_M2, label="Area (m²)")
    purpose = forms.ChoiceField(choices=list(PURPOSES.items()))
    address = forms.CharField(max_length=MAX_ADDRESS_LENGTH)
    owners = HoldingsField()


class DescriptionForm(CommandForm):
    area_m2 = forms.IntegerField(min_value=1, max_value=MAX_AREA_M2, label="Area (m²)")
    purpose = forms.ChoiceField(choices=list(PURPOSES.items()))
    address = forms.CharField(max_length=MAX_ADDRESS_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.record is not None:
            for name in ("area_m2", "purpose", "address"):
                self.fields[name].initial = getattr(self.record, name)


class RestrictionForm(CommandForm):
    kind = forms.ChoiceField(choices=list(RESTRICTION_KINDS.items()))
    description = forms.CharField(
        max_length=MAX_TEXT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    beneficiary = forms.CharField(
        max_length=MAX_REFERENCE_LENGTH,
        required=False,
        help_text="Personal code, registry code or another unit's cadastral code (optional; "
        "required for a usufruct).",
    )


class RemoveRestrictionForm(CommandForm):
    number = forms.TypedChoiceField(coerce=int, label="Part III entry")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["number"]
        assert isinstance(field, forms.ChoiceField)
        entries = removable_restrictions(self.record) if self.record is not None else []
        field.choices = [(r.number, f"{r.number}: {r.kind}: {r.description[:60]}") for r in entries]


class MortgageForm(CommandForm):
    amount_euros = EuroField(min_value=Decimal("0.01"), label="Amount (€)")
    creditor = forms.CharField(max_length=8, help_text="Registry code of the creditor (a bank).")
    field_aliases = {"amount_cents": "amount_euros"}


class ReleaseMortgageForm(CommandForm):
    rank = forms.TypedChoiceField(coerce=int, label="Mortgage")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rank"]
        assert isinstance(field, forms.ChoiceField)
        mortgages = self.record.mortgages.filter(active=True) if self.record is not None else []
        field.choices = [
            (m.rank, f"rank {m.rank}: {euros(m.amount_cents)} to {m.creditor}") for m in mortgages
        ]


class TransferForm(CommandForm):
    sellers = CodesField(help_text="Codes of the owners who give up their whole shares.")
    buyers = HoldingsField(
        help_text="Who receives which share of the whole unit, one per line "
        "(“<code> <share>”); the shares add up to the sellers' shares."
    )
    price_euros = EuroField(label="Price (€)")
    unit_version = forms.IntegerField(
        min_value=1, help_text="The unit's version the notary signed (the current one)."
    )
    notary = forms.CharField(max_length=11, help_text="Personal code of the endorsing notary.")
    signature = forms.CharField(
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        help_text="The notary's Ed25519 signature (128 hex digits or base64) of the canonical "
        "transfer message: POST the same terms to /api/v1/property/land-units/<code>/"
        "transfer-message/ to see the exact bytes.",
    )
    field_aliases = {"price_cents": "price_euros"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.record is not None:
            self.fields["unit_version"].initial = self.record.version
            self.fields["sellers"].initial = "\n".join(
                self.record.owners.values_list("owner_code", flat=True)
            )

    def transfer(self) -> Transfer:
        data = self.cleaned_data
        return Transfer(
            sellers=data["sellers"],
            buyers=data["buyers"],
            price_cents=to_cents(data["price_euros"]),
            unit_version=data["unit_version"],
            notary=data["notary"],
            signature=data["signature"],
        )


def removable_restrictions(record: LandUnitRecord) -> list[Any]:
    """Part III entries a registrar may remove (seizure notes only the court lifts)."""
    return list(record.restrictions.filter(active=True).exclude(kind=SEIZURE))


def _transfer(form: CommandForm) -> Transfer:
    assert isinstance(form, TransferForm)
    return form.transfer()


COMMANDS = {
    command.slug: command
    for command in [
        RecordCommand(
            "description",
            "Change description",
            DescriptionForm,
            lambda app, record, form, who: app.change_description(
                record.cadastral_code,
                form.cleaned_data["area_m2"],
                form.cleaned_data["purpose"],
                form.cleaned_data["address"],
                who,
            ),
            "Part I changed",
        ),
        RecordCommand(
            "transfer",
            "Transfer ownership (notary-endorsed)",
            TransferForm,
            lambda app, record, form, who: app.transfer_ownership(
                record.cadastral_code, _transfer(form), who
            ),
            "Ownership transferred",
            available=lambda record: not record.under_seizure,
        ),
        RecordCommand(
            "restriction",
            "Add restriction",
            RestrictionForm,
            lambda app, record, form, who: app.add_restriction(
                record.cadastral_code,
                form.cleaned_data["kind"],
                form.cleaned_data["description"],
                form.cleaned_data["beneficiary"],
                who,
            ),
            "Restriction entered in part III",
        ),
        RecordCommand(
            "remove-restriction",
            "Remove restriction",
            RemoveRestrictionForm,
            lambda app, record, form, who: app.remove_restriction(
                record.cadastral_code, form.cleaned_data["number"], who
            ),
            "Restriction removed from part III",
            available=lambda record: bool(removable_restrictions(record)),
        ),
        RecordCommand(
            "mortgage",
            "Add mortgage",
            MortgageForm,
            lambda app, record, form, who: app.add_mortgage(
                record.cadastral_code,
                to_cents(form.cleaned_data["amount_euros"]),
                form.cleaned_data["creditor"],
                who,
            ),
            "Mortgage entered in part IV",
            available=lambda record: not record.under_seizure,
        ),
        RecordCommand(
            "release-mortgage",
            "Release mortgage",
            ReleaseMortgageForm,
            lambda app, record, form, who: app.release_mortgage(
                record.cadastral_code, form.cleaned_data["rank"], who
            ),
            "Mortgage released",
            available=lambda record: record.mortgages.filter(active=True).exists(),
        ),
    ]
}


@admin.register(LandUnitRecord)
class LandUnitRecordAdmin(CommandAdmin):
    """Land units: read-only title registers; changes only through command forms."""

    application = PropertyRegistry
    projections = PROJECTIONS
    commands = COMMANDS
    add_form = LandUnitForm
    add_title = "Register land unit"
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

    def add(self, app: Any, form: CommandForm, who: str) -> object:
        data = form.cleaned_data
        registry: PropertyRegistry = app
        return registry.register_land_unit(
            data["cadastral_code"],
            data["area_m2"],
            data["purpose"],
            data["address"],
            data["owners"],
            who,
        )

    def added_record(self, result: object) -> LandUnitRecord:
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
