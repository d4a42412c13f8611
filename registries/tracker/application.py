"""Commands of the data tracker (its own log ``tracker``).

Reads are recorded by the registries whose data is read
(:func:`registries.tracker.services.record_read`); the court's judges
disclose covert reads when a final judgment of the investigation's case
releases them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from registries.common.application import Ref
from registries.common.errors import InvalidCommand, NotFound
from registries.common.sealing import PERSON_CODE, RECORD, KeyStore, Rule, Rules, SealingRegistry
from registries.common.texts import N_, Message
from registries.tracker.domain import (
    SALT_BYTES,
    CovertRead,
    DataRead,
    check_commitment,
    commitment_of,
    covert_read_id,
    read_record,
)
from registries.tracker.investigations import court
from registries.tracker.models import KeyAccess, PersonKey, SealedCovertRead

READ: Rule = {
    "subjects": PERSON_CODE,
    "reader": PERSON_CODE,
    "what": RECORD,
    "purpose": RECORD,
    "investigation": RECORD,
}
"""A read record's personal entries: each person's code (whose data was read, who read
it) sealed with that person's key; the free text, which may quote a code or a name (a
search), with the read's own key, destroyed when a person it names is erased. The
registry, the outcome, the emergency flag and the time stay in clear."""

SEALED: Rules = {
    DataRead.Recorded: {"record": READ},
    CovertRead.Disclosed: {"record": READ, "actor": PERSON_CODE},
}
"""The tracker's events with personal data (a covert read's commitment has none)."""


class TrackerRegistry(SealingRegistry):
    """Reads of persons' health and court data, open and covert; personal codes and free
    text sealed at the event store's boundary (:data:`SEALED`)."""

    name = "tracker"
    keystore = KeyStore("tracker", PersonKey, KeyAccess, audit_use=False)
    sealed = SEALED

    def record_read(
        self,
        *,
        subjects: Sequence[str],
        reader: str,
        registry: str,
        what: str,
        purpose: str,
        outcome: str,
        emergency: bool,
        read_at: datetime,
        investigation: str = "",
    ) -> UUID:
        """Record a read in the open (with the investigation it claimed, if its covert
        read was refused); return its id."""
        record = read_record(
            subjects=subjects,
            reader=reader,
            registry=registry,
            what=what,
            purpose=purpose,
            outcome=outcome,
            emergency=emergency,
            read_at=read_at,
            investigation=investigation,
        )
        read = DataRead(record=record)
        self.save(read)
        return read.id

    def commit_covert_read(
        self,
        *,
        subjects: Sequence[str],
        reader: str,
        registry: str,
        what: str,
        purpose: str,
        outcome: str,
        read_at: datetime,
        investigation: str,
    ) -> str:
        """Commit a covert read: its hash on the chain, the record kept off it; return the hash."""
        record = read_record(
            subjects=subjects,
            reader=reader,
            registry=registry,
            what=what,
            purpose=purpose,
            outcome=outcome,
            emergency=False,
            read_at=read_at,
            investigation=investigation,
        )
        salt = secrets.token_bytes(SALT_BYTES)
        commitment = commitment_of(record, salt)
        sealed = SealedCovertRead.objects.create(
            commitment=commitment, record=record, salt=salt.hex()
        )
        try:
            self.save(CovertRead(commitment=commitment, registry=registry))
        except BaseException:
            sealed.delete()  # no commitment on the chain: nothing to disclose later
            raise
        return commitment

    def disclose_covert_read(
        self, commitment: str, case_number: str, judgment: int, actor: str
    ) -> None:
        """Disclose a covert read to its persons, released by a final judgment of the case."""
        commitment = check_commitment(commitment)
        if not court().releases(case_number, judgment):
            raise InvalidCommand(
                Message(
                    N_(
                        "judgment: case {case_number} has no final judgment number {judgment} "
                        "that could release a covert read"
                    ),
                    {"case_number": case_number, "judgment": judgment},
                )
            )

        def decide(read: CovertRead) -> SealedCovertRead:
            sealed = SealedCovertRead.objects.filter(commitment=commitment).first()
            if sealed is None:
                raise NotFound(
                    Message(
                        N_("the record of covert read {commitment} is not held (disclosed?)"),
                        {"commitment": commitment},
                    )
                )
            read.disclose(sealed.record, bytes.fromhex(sealed.salt), case_number, judgment, actor)
            return sealed

        ref = Ref(
            CovertRead, covert_read_id(commitment), f"covert read with commitment {commitment}"
        )
        self.update(ref, decide).delete()  # now on the chain in full


__all__ = ["SEALED", "TrackerRegistry", "covert_read_id"]
