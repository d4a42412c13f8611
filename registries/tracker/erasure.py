"""A person's erasure in the data tracker (issue 14 follow-up; ADR 0065, addendum).

The tracker's read models name persons twice: as the subject whose data was read
and as the reader. When the identity registry erases a person
(:data:`registries.identity.erasure.person_erasure`), every row naming them names
``erased:<pseudonym>`` instead -- a peppered HMAC of their code, the same for every
row, so the trail stays countable and distinct (how many reads, by whom, of whom)
while no row names them. Their tracker key is destroyed, and so are the keys of the
reads naming them: in the event store, the ledger payloads and every bundle, their code
and what those reads say no longer open (ADR 0081). The sealed records of covert reads
not yet disclosed that name them are deleted: they could only be disclosed as they were
committed (naming the person), and the commitment on the chain stays as the trail of
the read.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import router, transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace

from registries.common.sealing import record_name
from registries.tracker.application import TrackerRegistry
from registries.tracker.models import ERASED, ReadRecord, SealedCovertRead

__all__ = ["erase_person", "pseudonym_of"]

_LABEL = b"riik tracker: erased person pseudonym v1"


def pseudonym_of(code: str) -> str:
    """How the tracker names an erased person: ``erased:`` and a peppered HMAC of the code."""
    secret: str = settings.RIIK_HEALTH_MASTER_KEY
    key = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
    return ERASED + hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def erase_person(code: str, actor: str, purpose: str, **_signal: object) -> None:
    """Receiver of :data:`registries.identity.erasure.person_erasure`: in one transaction,
    destroy the person's tracker key (their code no longer opens in any copy of the
    tracker's events) and the keys of the reads that name them -- as subject, as reader
    or in their free text -- so what those reads say no longer opens either; then scrub
    them from the read models (idempotent: a repeat finds none)."""
    pseudonym = pseudonym_of(code)
    keystore = TrackerRegistry.keystore
    with transaction.atomic(using=router.db_for_write(ReadRecord)):
        reads_naming = ReadRecord.objects.filter(
            Q(subject_code=code)
            | Q(reader_code=code)
            | Q(what__contains=code)
            | Q(purpose__contains=code)
            | Q(investigation__contains=code)
        )
        read_ids = reads_naming.values_list("aggregate_id", flat=True)
        keystore.destroy_many(
            {record_name(read) for read in read_ids}, actor, f"erasure: {purpose}"
        )
        keystore.destroy(code, actor, f"erasure: {purpose}")
        reads = ReadRecord.objects
        reads.filter(subject_code=code).update(subject_code=pseudonym)
        reads.filter(reader_code=code).update(reader_code=pseudonym)
        # Free text a reader wrote (what, why, under which investigation) may quote the code.
        for field in ("what", "purpose", "investigation"):
            reads.filter(**{f"{field}__contains": code}).update(
                **{field: Replace(field, Value(code), Value(pseudonym))}
            )
        naming = [
            row.commitment
            for row in SealedCovertRead.objects.only("commitment", "record")
            if code in row.record.get("subjects", ()) or row.record.get("reader") == code
        ]
        SealedCovertRead.objects.filter(commitment__in=naming).delete()
