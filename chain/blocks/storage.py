"""Storage challenges at the registry host: their seed, report and record.

Shared by the cluster (:mod:`chain.blocks.cluster`: a supernode worker
reports each :class:`~chain.consensus.node.StorageChecked` to the host over
Celery) and the devnet (:class:`chain.blocks.finality.DevnetFinalizer`: the
in-process supernodes' decisions go straight to the same recording), so both
store a :class:`StorageCheck` the same way and a failure as the same entry of
the chain's own log.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chain.blocks.models import FINAL, WITNESSED, BlockLog, StorageCheck
from chain.consensus.citizen import verify_storage_proof
from chain.consensus.membership import Membership
from chain.consensus.messages import MessageFormatError, StorageChallenge, StorageProof
from chain.consensus.node import StorageChecked
from chain.encoding import canonical, timestamp
from chain.keys import NodeKey
from chain.ledger import chainlog
from chain.ledger.models import LedgerEntry
from chain.protocol import STORAGE_FAILURE_TOPIC

__all__ = [
    "STORAGE_FAILURE_TOPIC",
    "challenge_seed",
    "log_failed_storage_check",
    "record_storage_check",
    "storage_report",
]

log = logging.getLogger(__name__)

CHALLENGE_SEED_LABEL = b"riik storage-challenge seed"


def challenge_seed(key: NodeKey) -> bytes:
    """A supernode's challenge seed: secret to it (its signature is deterministic
    and never sent), so citizens cannot tell which entries it will ask for."""
    return hashlib.sha256(key.sign(CHALLENGE_SEED_LABEL)).digest()


def storage_report(checked: StorageChecked) -> dict[str, Any]:
    """A supernode's storage check as the JSON payload :func:`record_storage_check` takes."""
    assert checked.challenge is not None
    return {
        "citizen": checked.citizen,
        "height": checked.height,
        "ok": checked.ok,
        "reason": checked.reason,
        "challenge": checked.challenge.to_record(),
        "answer": None if checked.answer is None else checked.answer.to_record(),
    }


def record_storage_check(membership: Membership, sender: str, payload: Mapping[str, Any]) -> None:
    """Store a supernode's storage challenge of a citizen and its outcome (idempotent).

    The challenge must name the logs of a block final here, and the host
    checks the citizen's answer itself: ``proof_valid`` is its own verdict,
    not the supernode's. That a citizen did not answer is the challenger's
    word (it asked again every resend period before giving up).
    """
    try:
        height = int(payload["height"])
        citizen = str(payload["citizen"])
        challenge = StorageChallenge.from_record(payload["challenge"])
        answer = (
            None if payload.get("answer") is None else StorageProof.from_record(payload["answer"])
        )
    except (MessageFormatError, KeyError, TypeError, ValueError) as exc:
        log.warning("malformed storage report from %s dropped: %s", sender, exc)
        return
    if sender not in membership.validator_set("supernode", height).names or (
        citizen not in membership.validator_set("citizen", height).names
    ):
        log.warning("storage report of %s by %s: not members at %d", citizen, sender, height)
        return
    if StorageCheck.objects.filter(challenger=sender, nonce=challenge.nonce).exists():
        return  # reported again after a restart
    held = BlockLog.objects.filter(
        block__height=height, block__level__in=[FINAL, WITNESSED], registry=challenge.registry
    ).first()
    if held is None or held.size != challenge.size or bytes(held.root) != challenge.root:
        log.warning("storage challenge of %s by %s names no final log here", citizen, sender)
        return
    proof_valid = answer is not None and verify_storage_proof(challenge, answer)
    if answer is None:
        reason = "no answer"
    elif not proof_valid:
        reason = "bad proof"
    else:
        reason = ""
    if bool(payload.get("ok")) != proof_valid:
        log.warning("storage report of %s by %s disagrees with the host's check", citizen, sender)
    record = {
        "challenger": sender,
        "citizen": citizen,
        "height": height,
        "challenge": challenge.to_record(),
        "answer": None if answer is None else answer.to_record(),
        "reason": reason,
    }
    check = StorageCheck.objects.create(
        challenger=sender,
        citizen=citizen,
        registry=challenge.registry,
        seq=challenge.seq,
        size=challenge.size,
        height=height,
        nonce=challenge.nonce,
        answered=answer is not None,
        proof_valid=proof_valid,
        passed=proof_valid,
        reason=reason,
        record=canonical(record).decode(),
        checked_at=timestamp(datetime.now(UTC)),
    )
    if not check.passed:
        check.entry_seq = log_failed_storage_check(record).seq
        check.save(update_fields=["entry_seq"])


def log_failed_storage_check(record: Mapping[str, Any]) -> LedgerEntry:
    """A failed storage challenge as an entry of the chain's own log (in the caller's transaction).

    Kept here, beside the hosts' recording, rather than in
    :mod:`chain.ledger.chainlog`: the entry is the challenger's statement
    (with the answer, checkable against the block's root), not a proof
    signed by the citizen, so ``chain verify`` does not judge it.
    """
    challenge = record["challenge"]
    return chainlog.append(
        chainlog.event_id("storage", record["challenger"], challenge["nonce"]),
        STORAGE_FAILURE_TOPIC,
        record,
    )
