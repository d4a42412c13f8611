"""Payments that other registries' commands make in money: state fees and prices.

A registry command that costs a state fee (a company's registration, a title
transfer, an annual report), or a title transfer settled against payment
(delivery versus payment), records its own events and the payer's and
payee's wallet events in ONE transaction: both happen or neither does
(:meth:`~registries.common.application.RegistryApplication.save_settling`).

The registries sit side by side and do not import one another, so the money
registry plugs its wallets in here when Django starts (:func:`connect_till`);
a registry command only names the :class:`Charge`.

**State fees** (:func:`fee`): amounts in integer cents from
``settings.RIIK_STATE_FEES_CENTS`` (the default table is in docs/money.md),
paid to the state treasury's wallet (``settings.RIIK_STATE_TREASURY``), only
while ``settings.RIIK_CHARGE_STATE_FEES`` is on. A fee's payment id is derived
from what it pays for, so a command decided again pays it once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from django.conf import settings
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

COMPANY_REGISTRATION = "company-registration"
TITLE_TRANSFER = "title-transfer"
ANNUAL_REPORT = "annual-report"
FEES = (COMPANY_REGISTRATION, TITLE_TRANSFER, ANNUAL_REPORT)
"""The acts that cost a state fee (the keys of ``RIIK_STATE_FEES_CENTS``)."""

_NOT_IN_IDS = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Charge:
    """A payment a registry command makes: ``amount_cents`` from ``payer`` to ``payee``.

    ``payment_id`` is unique for the payer (a repetition pays nothing twice);
    ``signatures`` are the payer's verified e-ID signatures that authorised it,
    recorded with the payment (none for a fee the register charges by law).
    """

    payment_id: str
    payer: str
    payee: str
    amount_cents: int
    signatures: tuple[dict[str, str], ...] = ()


class Till(Protocol):
    """What the money registry does for a command that pays (:func:`connect_till`)."""

    def application(self) -> Application[UUID]:
        """The money registry's running application (its events are saved with the command's)."""

    def settle(self, charges: Sequence[Charge]) -> list[Aggregate]:
        """Decide the charges in order on freshly loaded wallets; the wallets they changed.

        Refuses (insufficient funds, a closed or missing wallet) with a
        :class:`~registries.common.errors.RegistryError` before anything is saved.
        """

    def catch_up(self) -> None:
        """Bring the money registry's read models up to its event store."""


_till: Till | None = None
# Whether this thread's command saved payments whose read models are behind.
_paid = threading.local()


def connect_till(till: Till) -> None:
    """Let registry commands pay through the money registry (its AppConfig.ready)."""
    global _till  # one till per process, plugged in at start-up
    _till = till


def till() -> Till:
    """The money registry's till (plugged in when Django starts)."""
    if _till is None:
        raise RuntimeError("the money registry is not installed: nothing can be paid")
    return _till


def paid() -> None:
    """This thread's command saved payments (:func:`catch_up_payments` shows them)."""
    _paid.pending = True


def catch_up_payments() -> None:
    """After a command that paid: catch up the money registry's read models
    (read-your-writes for the payer's wallet, as for the command's own registry)."""
    if getattr(_paid, "pending", False):
        _paid.pending = False
        till().catch_up()


def payment_id_part(text: str) -> str:
    """``text`` reduced to the characters a payment id allows (a cadastral code's ``:``)."""
    return _NOT_IN_IDS.sub("-", text)


def fee(
    kind: str, payer: str, reference: str, signatures: Sequence[dict[str, str]] = ()
) -> Charge | None:
    """The state fee for ``kind`` (one of :data:`FEES`) charged to ``payer``, or None if none.

    ``reference`` names what it pays for (a registry code, a unit and its
    version, a company and a year), so the payment id is the same whenever the
    same act is decided again.
    """
    if kind not in FEES:
        raise ValueError(f"no state fee for {kind!r}")
    if not settings.RIIK_CHARGE_STATE_FEES:
        return None
    cents = int(settings.RIIK_STATE_FEES_CENTS.get(kind, 0))
    if cents <= 0:
        return None
    return Charge(
        payment_id=f"fee-{kind}-{payment_id_part(reference)}"[:64],
        payer=payer,
        payee=str(settings.RIIK_STATE_TREASURY),
        amount_cents=cents,
        signatures=tuple(signatures),
    )
