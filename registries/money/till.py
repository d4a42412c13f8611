"""The till: how other registries' commands pay state fees and prices in money
(:mod:`registries.common.payments`), in the same transaction as the command."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from registries.common.application import running
from registries.common.payments import Charge
from registries.common.projections import catch_up
from registries.money.application import MoneyRegistry
from registries.money.domain import Payment
from registries.money.projections import PROJECTIONS


class MoneyTill:
    """Other registries' commands pay through this (:mod:`registries.common.payments`)."""

    def application(self) -> Application[UUID]:
        """The money registry's running application."""
        return running(MoneyRegistry)

    def settle(self, charges: Sequence[Charge]) -> list[Aggregate]:
        """Decide the charges as payments on freshly loaded wallets; the wallets they changed."""
        payments = [
            Payment(c.payment_id, c.payer, c.payee, c.amount_cents, tuple(c.signatures))
            for c in charges
        ]
        _, changed = running(MoneyRegistry).settle_all(payments)
        return list(changed)

    def catch_up(self) -> None:
        """Bring the wallets' and payments' read models up to the event store."""
        for projection in PROJECTIONS:
            catch_up(projection)
