"""Covert access: whom a criminal case's judge lets be read covertly, and where.

Reads of a named party's data in the named registries under the case are
committed to the chain and disclosed to the person only when a final judgment
releases them (:mod:`registries.tracker`). The authorisations are an
aggregate of their own, not events of the :class:`~registries.court.domain.Case`,
so that a party fetching the receipts of their case's events is not told of
them; the case decides whether an authorisation is allowed
(:meth:`~registries.court.domain.Case.check_covert_access`).

The aggregate was first written in :mod:`registries.court.domain`: the old
topic is registered, so events stored under it still load.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from registries.common.errors import Conflict
from registries.common.texts import N_
from registries.court.domain import Case
from registries.court.vocabulary import NAMESPACE


def covert_access_id(number: str) -> UUID:
    """Aggregate id of the covert access authorised under the case with this number."""
    return uuid5(NAMESPACE, f"covert-access:{number}")


class CovertAccess(Aggregate):
    """Who may be read covertly under one criminal case: the persons its judge named.

    Each authorisation names natural-person parties of the case and the
    registries (:data:`COVERT_REGISTRIES`) whose data about them may be read
    without telling them until a final judgment releases the reads.
    """

    @staticmethod
    def create_id(number: str) -> UUID:
        return covert_access_id(number)

    class Started(Aggregate.Created):
        number: str

    class Authorised(Aggregate.Event):
        number: str
        persons: list[str]
        registries: list[str]
        actor: str

    @event(Started)
    def __init__(self, number: str) -> None:
        self.number = number
        self.granted: set[tuple[str, str]] = set()

    def authorise(self, case: Case, persons: list[str], registries: list[str], actor: str) -> None:
        """Record the case's judge's authorisation of covert reads of these parties' data
        (checked by :meth:`Case.check_covert_access`), unless all of it was authorised before."""
        case.check_covert_access(persons, registries, actor)
        wanted = {(person, registry) for person in persons for registry in registries}
        if wanted <= self.granted:
            raise Conflict(N_("persons: covert access to this data is already authorised"))
        self._authorised(
            number=self.number,
            persons=sorted(set(persons)),
            registries=sorted(set(registries)),
            actor=actor,
        )

    @event(Authorised)
    def _authorised(
        self, number: str, persons: list[str], registries: list[str], actor: str
    ) -> None:
        self.granted |= {(person, registry) for person in persons for registry in registries}


register_topic("registries.court.domain:CovertAccess", CovertAccess)
