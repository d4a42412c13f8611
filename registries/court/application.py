"""Commands of the court registry.

Every command goes through the registries' one write path
(:mod:`registries.common.application`).

Who acts is ``actor``, a personal code. Besides the case's own rules (only
its judge records judgments, appeals only by parties, ...) the registry checks
with the identity registry that judges' commands come from a person holding an
active judge appointment of the court registry, that a newly assigned judge is
one, and that every party and court exists, by the registries' one rule
(:func:`registries.identity.services.require_party`): a person in the
population register, an organisation in the identity registry or a company in
the business registry.

Personal data in the court's events is sealed (:mod:`registries.common.sealing`,
keys in :class:`~registries.court.models.PersonKey`): every personal code --
the parties, the appellant, the judge, whoever acted, the persons named in a
covert access -- with that person's own key; the case's content (title,
summaries, grounds, reasons, outcome) with the case's key, so an in-camera
case's content opens only through this registry and its rules. Organisations'
registry codes, the land units and companies a judgment acts on, case numbers,
kinds and dates stay in clear. :meth:`CourtRegistry.erase_person` destroys a
person's key.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import router, transaction
from django.db.models import Value
from django.db.models.functions import Replace

from registries.common.application import Ref, running
from registries.common.errors import InvalidCommand
from registries.common.sealing import PERSON_CODE, RECORD, KeyStore, Rules, SealingRegistry
from registries.common.texts import N_, Message
from registries.court.covert import CovertAccess, covert_access_id
from registries.court.domain import Case, CaseDocket
from registries.court.models import (
    ERASED,
    AppealRecord,
    CaseRecord,
    CovertAccessRecord,
    EnforcementRecord,
    JudgmentRecord,
    KeyAccess,
    PartyRecord,
    PersonKey,
)
from registries.court.vocabulary import (
    NotAllowed,
    Order,
    case_id,
    check_case_number,
    check_kind,
    docket_id,
)
from registries.identity import services as identity

REGISTRY = "court"
JUDGE = "judge"


def is_judge(code: str) -> bool:
    """Whether ``code`` holds an active judge appointment of the court registry."""
    return identity.has_role(code, REGISTRY, JUDGE)


ACTED = {"actor": PERSON_CODE}
SEALED: Rules = {
    Case.Opened: {"judge": PERSON_CODE, "title": RECORD, **ACTED},
    Case.PartyAdded: {"code": PERSON_CODE, **ACTED},
    Case.HearingScheduled: ACTED,
    Case.HearingRescheduled: ACTED,
    Case.HearingCancelled: {"reason": RECORD, **ACTED},
    Case.JudgmentRecorded: {"summary": RECORD, **ACTED},
    Case.AppealFiled: {"appellant": PERSON_CODE, "grounds": RECORD, **ACTED},
    Case.AppealDecided: {"summary": RECORD, **ACTED},
    Case.JudgmentBecameFinal: ACTED,
    Case.JudgmentSetAside: ACTED,
    Case.Closed: {"outcome": RECORD, **ACTED},
    CovertAccess.Authorised: {"persons": PERSON_CODE, **ACTED},
}
"""Which fields of the court's events are sealed, and with whose key."""


class CourtRegistry(SealingRegistry):
    """The court registry: cases, parties, hearings, judgments and appeals."""

    name = "court"
    keystore = KeyStore("court", PersonKey, KeyAccess, audit_use=False)
    sealed = SEALED

    def erase_person(self, code: str, actor: str, reason: str) -> str | None:
        """Destroy the person's court key (crypto-shredding): their code no longer opens
        in any copy of the court's events. In the same transaction the read models forget
        them too (a backup of the database must honour the erasure as well): every row
        naming them (enforcements of judgments too) names ``erased:<subject>`` instead,
        and the covert accesses that existed only for them are deleted. Returns the key's
        id (None if they had none)."""
        with transaction.atomic(using=router.db_for_write(PersonKey)):
            pseudonym = ERASED + self.keystore.subject_of(code)
            CaseRecord.objects.filter(judge_code=code).update(judge_code=pseudonym)
            PartyRecord.objects.filter(code=code).update(code=pseudonym)
            JudgmentRecord.objects.filter(judge_code=code).update(judge_code=pseudonym)
            AppealRecord.objects.filter(appellant_code=code).update(appellant_code=pseudonym)
            AppealRecord.objects.filter(decided_by=code).update(decided_by=pseudonym)
            CovertAccessRecord.objects.filter(person_code=code).delete()
            CovertAccessRecord.objects.filter(judge_code=code).update(judge_code=pseudonym)
            # What a judgment caused elsewhere: its target, or a refusal's words, may be them.
            EnforcementRecord.objects.filter(target=code).update(target=pseudonym)
            EnforcementRecord.objects.filter(detail__contains=code).update(
                detail=Replace("detail", Value(code), Value(pseudonym))
            )
            return self.keystore.destroy(code, actor, f"erasure: {reason}")

    # Cases.

    def open_case(
        self,
        kind: str,
        court_code: str,
        judge: str,
        title: str,
        public: bool,
        actor: str,
        today: date,
    ) -> str:
        """Open a case assigned to ``judge``; return its new case number."""
        self._require_judge_role(actor)
        check_kind(kind)
        if not is_judge(judge):
            raise InvalidCommand(
                Message(N_("judge: {judge} is not a judge of the court registry"), {"judge": judge})
            )
        identity.require_organisation(court_code, "court_code", kind="court")
        docket = Ref(
            CaseDocket,
            docket_id(kind, today.year),
            f"docket of {kind} cases of {today.year}",
            new=lambda: CaseDocket(kind=kind, year=today.year),
        )

        def attempt() -> str:
            # Two openings of one kind at once collide on the docket: the
            # loser is given the next serial when decided again.
            serials = self.get(docket)
            number = serials.next_number()
            case = Case.open(
                number=number,
                kind=kind,
                court_code=court_code,
                judge=judge,
                title=title,
                public=public,
                opened_on=today,
                actor=actor,
            )
            self.save(serials, case)
            return number

        return self.retrying(attempt, docket.what)

    def add_party(self, number: str, code: str, role: str, actor: str) -> None:
        """Add a party (person or organisation) to a case."""
        self._require_judge_role(actor)
        identity.require_party(code, "code")
        self.update(self._case(number), lambda case: case.add_party(code, role, actor))

    def close_case(self, number: str, outcome: str, actor: str, today: date) -> None:
        """Close a case whose judgments are all final or set aside."""
        self._require_judge_role(actor)
        self.update(self._case(number), lambda case: case.close(outcome, actor, today))

    # Hearings.

    def schedule_hearing(
        self, number: str, starts_at: datetime, room: str, actor: str, today: date
    ) -> int:
        """Schedule a hearing; return its number in the case."""
        self._require_judge_role(actor)
        return self.update(
            self._case(number), lambda case: case.schedule_hearing(starts_at, room, actor, today)
        )

    def reschedule_hearing(
        self,
        number: str,
        hearing: int,
        starts_at: datetime,
        room: str,
        actor: str,
        today: date,
    ) -> None:
        """Move a scheduled hearing."""
        self._require_judge_role(actor)
        self.update(
            self._case(number),
            lambda case: case.reschedule_hearing(hearing, starts_at, room, actor, today),
        )

    def cancel_hearing(self, number: str, hearing: int, reason: str, actor: str) -> None:
        """Cancel a scheduled hearing."""
        self._require_judge_role(actor)
        self.update(self._case(number), lambda case: case.cancel_hearing(hearing, reason, actor))

    # Judgments and appeals.

    def record_judgment(self, number: str, order: Order, actor: str, today: date) -> int:
        """Record a judgment; return its number in the case."""
        self._require_judge_role(actor)
        return self.update(
            self._case(number), lambda case: case.record_judgment(order, actor, today)
        )

    def declare_final(self, number: str, judgment: int, actor: str, today: date) -> None:
        """Declare a judgment final once its appeal deadline has passed unappealed."""
        self._require_judge_role(actor)
        self.update(self._case(number), lambda case: case.declare_final(judgment, actor, today))

    def file_appeal(
        self, number: str, judgment: int, appellant: str, grounds: str, today: date
    ) -> int:
        """A party (by personal code) appeals a judgment; return the appeal's number."""
        return self.update(
            self._case(number),
            lambda case: case.file_appeal(judgment, appellant, grounds, today, actor=appellant),
        )

    def decide_appeal(
        self, number: str, appeal: int, decision: str, summary: str, actor: str, today: date
    ) -> None:
        """Decide an appeal (a judge other than the case's own)."""
        self._require_judge_role(actor)
        self.update(
            self._case(number),
            lambda case: case.decide_appeal(appeal, decision, summary, actor, today),
        )

    # Covert access.

    def authorise_covert_access(
        self, number: str, persons: list[str], registries: list[str], actor: str
    ) -> None:
        """The case's judge authorises covert reads of named parties' data in named registries."""
        self._require_judge_role(actor)
        case = self.case(number)
        access = Ref(
            CovertAccess,
            covert_access_id(number),
            f"covert access of case {number}",
            new=lambda: CovertAccess(number=number),
        )
        self.update(access, lambda granted: granted.authorise(case, persons, registries, actor))

    # Lookups.

    def case(self, number: str) -> Case:
        """The case with this number (validated), or NotFound."""
        return self.get(self._case(number))

    # Helpers.

    @staticmethod
    def _require_judge_role(actor: str) -> None:
        if not is_judge(actor):
            raise NotAllowed(N_("only a judge of the court registry may do this"))

    @staticmethod
    def _case(number: str) -> Ref[Case]:
        check_case_number(number)
        return Ref(
            Case, case_id(number), Message(N_("case with number {number}"), {"number": number})
        )


__all__ = ["CourtRegistry", "is_judge"]


def erase_person(code: str, actor: str, purpose: str, **_signal: object) -> None:
    """Receiver of :data:`registries.identity.erasure.person_erasure`: erase the person
    from the court registry (:meth:`CourtRegistry.erase_person`)."""
    running(CourtRegistry).erase_person(code, actor, purpose)
