"""The ministry's admin for the land register.

Changes are the catalog's commands (``registries.property.commands``), issued by
property registrars. Seizure notes have no form: only the court registry's
process writes them.

Notaries endorse in *Transfer applications*: a registrar files an application
on a land unit naming the notary; the notary sees the applications awaiting
their endorsement, reads exactly what they sign (the canonical transfer
message in full, and its terms in words), and signs it in the browser with
their key file (WebCrypto, the key never leaves the browser). The server
files the endorsed transfer (``PropertyRegistry.endorse_application``); a
refusal names the mistake (the unit changed since, other shares, another key).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registries.access.admin import CommandAdmin, euros, html_table
from registries.access.roles import user_has_role
from registries.common.api import text_contains
from registries.common.commands import issue
from registries.common.errors import RegistryError
from registries.identity.models import PersonRecord
from registries.identity.services import names_beside, official_code_of, with_names
from registries.property.api.serializers import signed_message
from registries.property.application import PropertyRegistry
from registries.property.commands import COMMANDS, UNIT
from registries.property.endorsement import transfer_message
from registries.property.models import LandUnitRecord, OwnershipRecord, TransferApplicationRecord
from registries.property.projections import PROJECTIONS


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
        (_("I Description"), {"fields": ["cadastral_code", "area_m2", "purpose", "address"]}),
        (_("II Owners"), {"fields": ["owners_table"]}),
        (
            _("III Restrictions and encumbrances"),
            {"fields": ["under_seizure", "restrictions_table"]},
        ),
        (_("IV Mortgages"), {"fields": ["mortgages_table"]}),
        (_("Transfers and their endorsements"), {"fields": ["transfers_table"]}),
        (
            _("On the chain"),
            {"fields": ["ledger_seq", "block_height", "ledger_level", "version", "aggregate_id"]},
        ),
        (_("Ledger history"), {"fields": ["history_table"]}),
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_property(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LandUnitRecord]:
        # Each owner's name comes with them, in the same query as the codes
        # (where the identity registry shares the database: with_names).
        owners = with_names(OwnershipRecord.objects.all(), "owner_code")
        return super().get_queryset(request).prefetch_related(Prefetch("owners", queryset=owners))

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

    @admin.display(description=_("owners"))
    def owner_codes(self, record: LandUnitRecord) -> str:
        owners = [vars(o) for o in record.owners.all()]
        names = names_beside(owners, "owner_code")
        shown = ((o["owner_code"], names.get(o["owner_code"], ""), o["share"]) for o in owners)
        return format_html_join(", ", "{} {} ({})", shown)

    @admin.display(description=_("owners and shares"))
    def owners_table(self, record: LandUnitRecord) -> str:
        owners = [vars(o) for o in record.owners.all()]
        names = names_beside(owners, "owner_code")
        rows: list[list[Any]] = [
            [
                o["owner_code"],
                names.get(o["owner_code"], ""),
                o["owner_kind"],
                o["share"],
                o["ledger_seq"],
            ]
            for o in owners
        ]
        return html_table(
            [_("owner"), _("name"), _("kind"), _("share"), _("since (seq)")], rows, _("no owners")
        )

    @admin.display(description=_("restrictions and encumbrances"))
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
                _("no."),
                _("kind"),
                _("description"),
                _("beneficiary"),
                _("cause"),
                _("status"),
                _("entered (seq)"),
                _("removed (seq)"),
            ],
            rows,
            _("none"),
        )

    @admin.display(description=_("mortgages (in rank order)"))
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
            [
                _("rank"),
                _("amount"),
                _("creditor"),
                _("status"),
                _("entered (seq)"),
                _("released (seq)"),
            ],
            rows,
            _("none"),
        )

    @admin.display(description=_("transfers"))
    def transfers_table(self, record: LandUnitRecord) -> str:
        rows: list[list[Any]] = [
            [
                t.ledger_seq,
                ", ".join(t.sellers),
                ", ".join(f"{b['owner']} {b['share']}" for b in t.buyers),
                f"{euros(t.price_cents)} (paid in money, {t.payment_id})"
                if t.payment_id
                else euros(t.price_cents),
                f"{t.notary} (key {t.notary_key_id})",
                t.signature,
                signed_message(t),
            ]
            for t in record.transfers.all()
        ]
        return html_table(
            [
                _("seq"),
                _("from"),
                _("to"),
                _("price"),
                _("notary"),
                _("signature"),
                _("signed message"),
            ],
            rows,
            _("no transfers since registration"),
        )


def is_notary(request: HttpRequest) -> bool:
    """Property notaries endorse transfer applications."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(
        user, "property", "notary"
    )


def application_message(record: TransferApplicationRecord) -> str:
    """The canonical transfer message the named notary signs for this application."""
    return transfer_message(
        cadastral_code=record.unit.cadastral_code,
        sellers=list(record.sellers),
        buyers=[(b["owner"], b["share"]) for b in record.buyers],
        price_cents=record.price_cents,
        unit_version=record.unit_version,
        chain_id=settings.RIIK_CHAIN_ID,
    ).decode()


def _named(code: str) -> str:
    person = PersonRecord.objects.filter(personal_code=code).only("first_name", "last_name").first()
    return f"{person.first_name} {person.last_name} ({code})" if person is not None else code


@admin.register(TransferApplicationRecord)
class TransferApplicationRecordAdmin(CommandAdmin):
    """Transfer applications: a notary sees those awaiting them and endorses one by signing it."""

    catalog = COMMANDS
    change_form_template = "admin/property/transferapplicationrecord/change_form.html"
    list_display = [
        "unit",
        "number",
        "seller_codes",
        "buyer_shares",
        "price",
        "notary",
        "status",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["unit", "number"]
    search_fields = ["unit__cadastral_code", "=notary"]
    search_help_text = "Start of a cadastral code, or a notary's personal code"
    fields = readonly_fields = (
        "unit",
        "number",
        "terms",
        "message",
        "notary",
        "status",
        "transfer",
        "ledger_seq",
        "block_height",
        "ledger_level",
    )

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_property(request) or is_notary(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Filed on a land unit's page (File transfer application), never added here.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TransferApplicationRecord]:
        """A notary sees the applications that name them; a registrar sees all."""
        queryset = super().get_queryset(request).select_related("unit")
        if can_act_in_property(request):
            return queryset
        return queryset.filter(notary=official_code_of(request.user) or "")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/endorse/",
                self.admin_site.admin_view(self.endorse_view),
                name="property_transferapplicationrecord_endorse",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if record is not None:
            extra_context["signed_message"] = application_message(record)
            extra_context["may_endorse"] = record.awaiting and self._endorses(request, record)
            extra_context["endorse_url"] = reverse(
                "admin:property_transferapplicationrecord_endorse", args=[record.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _endorses(request: HttpRequest, record: TransferApplicationRecord) -> bool:
        return is_notary(request) and official_code_of(request.user) == record.notary

    def endorse_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST the notary's signature of the application's message: the transfer is filed."""
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404(gettext("No such transfer application"))
        if request.method != "POST" or not self._endorses(request, record):
            raise PermissionDenied
        notary = record.notary
        code, number = record.unit.cadastral_code, record.number
        signature = request.POST.get("signature", "")
        try:
            issue(
                PropertyRegistry,
                PROJECTIONS,
                lambda app: app.endorse_application(code, number, notary, signature, notary),
            )
        except RegistryError as error:
            messages.error(request, error.translated(gettext))
            return HttpResponseRedirect(
                reverse("admin:property_transferapplicationrecord_change", args=[record.pk])
            )
        unit = LandUnitRecord.objects.get(cadastral_code=code)
        messages.success(
            request,
            gettext("Transfer of {code} endorsed and filed (ledger seq {seq}).").format(
                code=code, seq=unit.ledger_seq
            ),
        )
        return HttpResponseRedirect(
            reverse("admin:property_transferapplicationrecord_change", args=[record.pk])
        )

    # Columns and read-only fields.

    @admin.display(description=_("sellers"))
    def seller_codes(self, record: TransferApplicationRecord) -> str:
        return ", ".join(record.sellers)

    @admin.display(description=_("buyers and shares"))
    def buyer_shares(self, record: TransferApplicationRecord) -> str:
        return ", ".join(f"{b['owner']} {b['share']}" for b in record.buyers)

    @admin.display(description=_("price"))
    def price(self, record: TransferApplicationRecord) -> str:
        return euros(record.price_cents)

    @admin.display(description=_("status"))
    def status(self, record: TransferApplicationRecord) -> str:
        if record.transfer_version is not None:
            return f"endorsed (transfer at version {record.transfer_version})"
        if record.awaiting:
            return "awaiting the notary's endorsement"
        return (
            f"no longer endorsable: the unit changed since (filed at version "
            f"{record.unit_version}, now version {record.unit.version})"
        )

    @admin.display(description=_("the endorsed transfer on the chain"))
    def transfer(self, record: TransferApplicationRecord) -> str:
        if record.transfer_version is None:
            return "-"
        filed = record.unit.transfers.get(version=record.transfer_version)
        where = self.ledger_status_of(filed)
        return (
            f"ledger seq {filed.ledger_seq}, block {where.block_height or '-'}, level {where.level}"
        )

    @admin.display(description=_("what the notary signs, in words"))
    def terms(self, record: TransferApplicationRecord) -> str:
        sellers = ", ".join(_named(code) for code in record.sellers)
        buyers = format_html_join(
            "",
            "<li>{} receives {} of the land unit</li>",
            ((_named(b["owner"]), b["share"]) for b in record.buyers),
        )
        return format_html(
            "<p>Land unit <strong>{}</strong> ({}), as at its version {} on chain {}.</p>"
            "<p>{} give(s) up their whole share(s).</p><ul>{}</ul><p>Price: {}.</p>",
            record.unit.cadastral_code,
            record.unit.address,
            record.unit_version,
            settings.RIIK_CHAIN_ID,
            sellers,
            buyers,
            euros(record.price_cents),
        )

    @admin.display(description=_("the exact message signed (UTF-8)"))
    def message(self, record: TransferApplicationRecord) -> str:
        return format_html('<pre id="signed-message">{}</pre>', application_message(record))
