"""The money registry's commands, each declared once for the API and the admin.

Banks' officials open wallets, close them at zero and change their linked
bank; the central bank's officials issue money into a bank's wallet and
redeem it from there, each act carrying the supernode quorum's certificate.
The admin's issuance and redemption forms collect that certificate from the
supernode keys this node holds when they are sent (the API's callers collect
it with ``supply/act-certificate/`` first). Payments are no command here:
only the payer's signed e-service makes them (``api/me.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.urls import reverse
from rest_framework import status

from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm, Ask
from registries.common.application import running
from registries.common.codes import party_kind
from registries.common.texts import N_
from registries.money.api.serializers import (
    CertifiedActSerializer,
    EmptyCommandSerializer,
    LinkedBankSerializer,
    OpenWalletSerializer,
    WalletDetailSerializer,
)
from registries.money.api.views import (
    HOLDER_PARAMETER,
    TAGS,
    BankOfficial,
    CentralBankOfficial,
    wallet_body,
)
from registries.money.application import MoneyRegistry
from registries.money.domain import ISSUE, REDEEM
from registries.money.officials import BANK, CENTRAL_BANK, acting_for, official_of
from registries.money.projections import PROJECTIONS
from registries.money.quorum import Certificate, collect


def certificate_of(data: dict[str, Any]) -> Certificate:
    """The command's certificate (the API's ``{"height", "votes"}``)."""
    given = data["certificate"]
    return Certificate(int(given["height"]), [dict(vote) for vote in given["votes"]])


def act(kind: str) -> Any:
    """The application call of an issuance or redemption into the wallet in the path."""

    def run(app: MoneyRegistry, data: dict[str, Any], who: str) -> object:
        central = official_of(who, CENTRAL_BANK)
        app.record_act(
            kind,
            data["act_id"],
            data["code"],
            data["amount_cents"],
            certificate_of(data),
            central,
            who,
        )
        return data["code"]

    return run


def certified(kind: str) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    """The admin's completion of an issuance or redemption: the supernode quorum's
    certificate over the act's terms, collected when the form is sent."""

    def complete(record: Any, data: dict[str, Any]) -> dict[str, Any]:
        app = running(MoneyRegistry)
        message = app.act_message(kind, data["act_id"], record.holder, data["amount_cents"])
        certificate = collect(message)
        return {"certificate": {"height": certificate.height, "votes": certificate.votes}}

    return complete


def act_form(kind: str) -> AdminForm:
    """The admin's form of an issuance or redemption (the certificate is collected on sending)."""
    reference = forms.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        max_length=64,
        help_text=N_(
            "The central bank's own reference of this act, such as EP-2026-014: up to 64 "
            "letters, digits and _ . : -, each used for one act only."
        ),
    )
    amount = N_(
        "In euros, such as 1000000.00. Sending the form asks the supernodes to certify "
        "the act; it is recorded only with their quorum's certificate."
    )
    return AdminForm(
        ask={
            "act_id": Ask(field=reference),
            "amount_cents": Ask(label=N_("Amount (€)"), help_text=amount),
        },
        omit=("certificate",),
        completes=certified(kind),
    )


# The catalog ---------------------------------------------------------------------------------


WALLETS = Target(route="wallets/", tags=TAGS)
WALLET = Target(
    route="wallets/<str:code>/",
    tags=TAGS,
    parameters=(HOLDER_PARAMETER,),
    check=lambda code, **ids: party_kind(code, "holder"),
    key=lambda record, who: {"code": record.holder},
)
OPENED = Reply(
    WalletDetailSerializer,
    lambda request, data, holder: wallet_body(request, str(holder)),
    location=lambda request, data, holder: request.build_absolute_uri(
        reverse("money:wallet-detail", args=[holder])
    ),
)
WALLET_REPLY = Reply(
    WalletDetailSerializer, lambda request, data, result: wallet_body(request, data["code"])
)


def for_the_central_bank(record: Any, who: str) -> bool:
    """The admin offers issuance and redemption to the central bank's officials only."""
    return acting_for(who, CENTRAL_BANK) is not None


def for_the_wallets_bank(record: Any, who: str) -> bool:
    """The admin offers a wallet's commands to the officials of the bank that keeps it."""
    bank: str | None = acting_for(who, BANK)
    return bank is not None and bank == record.bank


def is_banks_own(record: Any) -> bool:
    """A bank's own wallet (the central bank's acts credit and debit those)."""
    return bool(record.holder == record.bank and record.open)


COMMANDS = Catalog(
    MoneyRegistry,
    PROJECTIONS,
    [
        Command(
            name="open-wallet",
            title=N_("Open wallet"),
            target=WALLETS,
            permission=BankOfficial,
            reply=OPENED,
            input=OpenWalletSerializer,
            url_name="wallet-list",
            summary="Open a wallet at my bank for a living person or a registered organisation",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 404, 409, 429),
            form=AdminForm(
                ask={
                    "holder": Ask(
                        help_text=N_(
                            "Personal code of a living person, or registry code of an "
                            "organisation (your bank's own code opens the bank's wallet)."
                        )
                    )
                }
            ),
            run=lambda app, data, who: app.open_wallet(data["holder"], official_of(who, BANK), who),
        ),
        Command(
            name="close-wallet",
            title=N_("Close wallet"),
            target=WALLET,
            permission=BankOfficial,
            reply=WALLET_REPLY,
            input=EmptyCommandSerializer,
            route="closure/",
            url_name="wallet-closure",
            summary="Close a wallet of my bank (only at zero)",
            form=AdminForm(),
            done=N_("Wallet closed"),
            available=lambda record: bool(record.open and record.balance_cents == 0),
            may=for_the_wallets_bank,
            run=lambda app, data, who: app.close_wallet(data["code"], official_of(who, BANK), who),
        ),
        Command(
            name="linked-bank",
            title=N_("Set linked bank"),
            target=WALLET,
            permission=BankOfficial,
            reply=WALLET_REPLY,
            input=LinkedBankSerializer,
            route="linked-bank/",
            url_name="wallet-linked-bank",
            summary="Link a wallet of my bank to another bank (nothing held at mine)",
            form=AdminForm(
                ask={"bank": Ask(help_text=N_("Registry code of the bank to link it to."))}
            ),
            done=N_("Linked bank set"),
            available=lambda record: bool(record.open and record.holder != record.bank),
            may=for_the_wallets_bank,
            run=lambda app, data, who: app.set_linked_bank(
                data["code"], official_of(who, BANK), data["bank"], who
            ),
        ),
        Command(
            name="issue",
            title=N_("Issue money"),
            target=WALLET,
            permission=CentralBankOfficial,
            reply=WALLET_REPLY,
            input=CertifiedActSerializer,
            route="issuances/",
            url_name="wallet-issuances",
            summary="Issue money into a bank's wallet (central bank, supernode quorum)",
            description=(
                "The body's `certificate` holds the votes of a supernode quorum over the act "
                "(collect them with `supply/act-certificate/`); the supply rises by the amount."
            ),
            status=status.HTTP_201_CREATED,
            form=act_form(ISSUE),
            done=N_("Money issued"),
            available=is_banks_own,
            may=for_the_central_bank,
            run=act(ISSUE),
        ),
        Command(
            name="redeem",
            title=N_("Redeem money"),
            target=WALLET,
            permission=CentralBankOfficial,
            reply=WALLET_REPLY,
            input=CertifiedActSerializer,
            route="redemptions/",
            url_name="wallet-redemptions",
            summary="Redeem money from a bank's wallet (central bank, supernode quorum)",
            description="As an issuance; the supply falls by the amount.",
            status=status.HTTP_201_CREATED,
            form=act_form(REDEEM),
            done=N_("Money redeemed"),
            available=is_banks_own,
            may=for_the_central_bank,
            run=act(REDEEM),
        ),
    ],
)
