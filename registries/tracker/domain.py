"""The data tracker's aggregates and events (pure: no Django, no I/O).

Every read of a person's health or court data by someone other than the
person, and every auditor's read of an identity, court or health event on the
chain, is recorded here, allowed or refused:

* :class:`DataRead` -- one read, in the open: who read whose data, in which
  registry, what, why (purpose), whether it was refused and whether it was an
  emergency ("break glass") access.
* :class:`CovertRead` -- a read made under a covert investigation: only a
  commitment (SHA-256 of the canonical read record and a random salt) goes on
  the chain now; when a court decision releases it, :meth:`CovertRead.disclose`
  records the full record and the salt, and refuses them unless they hash to
  the commitment made at the time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from chain.encoding import canonical
from registries.common.errors import Conflict, InvalidCommand, RegistryError
from registries.common.texts import N_, Message

REGISTRIES = ("health", "court", "identity", "money")
ALLOWED = "allowed"
REFUSED = "refused"
OUTCOMES = (ALLOWED, REFUSED)
MAX_SUBJECTS = 500
MAX_TEXT = 500
SALT_BYTES = 32
_COMMITMENT = re.compile(r"[0-9a-f]{64}")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/tracker")


class CommitmentMismatch(InvalidCommand):
    """A disclosed record that does not hash to the commitment on the chain."""

    title = N_("The disclosed record does not match the commitment")
    slug = "commitment-mismatch"


class CovertReadRefused(RegistryError):
    """A read under a covert investigation that the investigation's case does not authorise.

    The read is refused and recorded in the open, on the person's tracker.
    """

    status = 403
    title = N_("Covert read refused")
    slug = "covert-read-refused"


def check_text(text: object, field: str, *, required: bool = True) -> str:
    """One line of text within :data:`MAX_TEXT` characters, spaces collapsed."""
    if not isinstance(text, str):
        raise InvalidCommand(Message(N_("{field}: must be text"), {"field": field}))
    text = " ".join(text.split())
    if required and not text:
        raise InvalidCommand(Message(N_("{field}: must not be empty"), {"field": field}))
    if len(text) > MAX_TEXT:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {MAX_TEXT} characters"), {"field": field, "MAX_TEXT": MAX_TEXT}
            )
        )
    return text


def check_subjects(subjects: Sequence[str]) -> list[str]:
    """The personal codes whose data was read: at least one, each once, sorted."""
    if not subjects:
        raise InvalidCommand(N_("subjects: a read concerns at least one person"))
    if len(subjects) > MAX_SUBJECTS:
        raise InvalidCommand(
            Message(
                N_("subjects: at most {MAX_SUBJECTS} persons per read"),
                {"MAX_SUBJECTS": MAX_SUBJECTS},
            )
        )
    for subject in subjects:
        if not isinstance(subject, str) or not re.fullmatch(r"[0-9]{11}", subject):
            raise InvalidCommand(
                Message(N_("subjects: {subject!r} is not a personal code"), {"subject": subject})
            )
    return sorted(set(subjects))


def read_record(
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
) -> dict[str, Any]:
    """A checked read record, as recorded (or committed to, for a covert read)."""
    if registry not in REGISTRIES:
        raise InvalidCommand(
            Message(
                N_("registry: {registry!r} is not one of {choices}"),
                {"registry": registry, "choices": ", ".join(REGISTRIES)},
            )
        )
    if outcome not in OUTCOMES:
        raise InvalidCommand(
            Message(
                N_("outcome: {outcome!r} is not one of {choices}"),
                {"outcome": outcome, "choices": ", ".join(OUTCOMES)},
            )
        )
    return {
        "subjects": check_subjects(subjects),
        "reader": check_text(reader, "reader"),
        "registry": registry,
        "what": check_text(what, "what"),
        "purpose": check_text(purpose, "purpose"),
        "outcome": outcome,
        "emergency": bool(emergency),
        "read_at": read_at.isoformat(),
        "investigation": check_text(investigation, "investigation", required=False),
    }


def commitment_of(record: Mapping[str, Any], salt: bytes) -> str:
    """SHA-256 (hex) of the canonical record followed by the salt."""
    return hashlib.sha256(canonical(dict(record)) + salt).hexdigest()


def check_commitment(commitment: object) -> str:
    if not isinstance(commitment, str) or not _COMMITMENT.fullmatch(commitment):
        raise InvalidCommand(N_("commitment: a SHA-256 hash written as 64 lowercase hex digits"))
    return commitment


def covert_read_id(commitment: str) -> UUID:
    """Aggregate id of the covert read with this commitment."""
    return uuid5(_NAMESPACE, f"covert-read:{commitment}")


class DataRead(Aggregate):
    """One read of persons' data, in the open."""

    class Recorded(Aggregate.Created):
        record: dict[str, Any]

    @event(Recorded)
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record


class CovertRead(Aggregate):
    """A read under a covert investigation: committed now, disclosed by a court decision."""

    @staticmethod
    def create_id(commitment: str, registry: str) -> UUID:
        return covert_read_id(commitment)

    class Committed(Aggregate.Created):
        commitment: str
        registry: str

    class Disclosed(Aggregate.Event):
        record: dict[str, Any]
        salt: str
        case_number: str
        judgment: int
        actor: str

    @event(Committed)
    def __init__(self, commitment: str, registry: str) -> None:
        self.commitment = commitment
        self.registry = registry
        self.disclosed = False

    def disclose(
        self, record: dict[str, Any], salt: bytes, case_number: str, judgment: int, actor: str
    ) -> None:
        """Disclose the full record; it must hash (with the salt) to the commitment."""
        if self.disclosed:
            raise Conflict(N_("this covert read has already been disclosed"))
        if commitment_of(record, salt) != self.commitment:
            raise CommitmentMismatch(
                N_("record: the record and salt do not hash to the commitment on the chain")
            )
        if record.get("investigation") != case_number:
            raise InvalidCommand(
                Message(
                    N_(
                        "case_number: the read was made under investigation "
                        "{investigation!r}, not {case_number}"
                    ),
                    {
                        "investigation": record.get("investigation"),
                        "case_number": case_number,
                    },
                )
            )
        self._disclosed(record, salt.hex(), case_number, judgment, actor)

    @event(Disclosed)
    def _disclosed(
        self, record: dict[str, Any], salt: str, case_number: str, judgment: int, actor: str
    ) -> None:
        self.disclosed = True
