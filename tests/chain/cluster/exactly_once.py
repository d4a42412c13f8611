"""Exactly-once: every acknowledged command became final once, in ledger order.

A writer records each command it issues (its id, the aggregate the command
creates, known before it is sent) and the answer it got, if any. The
checker compares that history with the creation entries of the host's
final chain:

* **missing**: an acknowledged command's entry is not final;
* **duplicate**: one command's entry is final more than once;
* **order**: a writer's acknowledged commands are not final in increasing
  ledger seq, in the order they were acknowledged;
* **phantom**: a final entry that no issued command creates;
* **shared answer**: two commands claim the same entry (the history itself
  is wrong, or one command's effect was answered twice).

A command issued without an answer (the writer's call failed) may or may not
be final: both are correct, but it may be final at most once.

:func:`check_exactly_once` is pure; :func:`final_creations` reads the
host's ledger up to its last final block.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from chain.blocks.models import FINAL, WITNESSED, Block, BlockLog
from chain.ledger.models import LedgerEntry


@dataclass(frozen=True)
class Command:
    """One command as its writer recorded it, in the order the writer recorded them."""

    writer: str
    command_id: str
    creates: UUID
    """The aggregate the command creates: its entry is the command's effect."""
    answer: str | None
    """What the registry answered; None when no answer came (the call failed)."""


@dataclass(frozen=True)
class FinalEntry:
    """A creation entry of the ledger that a final block holds."""

    seq: int
    originator_id: UUID


@dataclass(frozen=True)
class Violation:
    """One broken property, naming the commands or entries that break it."""

    kind: str
    detail: str


def check_exactly_once(history: Sequence[Command], final: Iterable[FinalEntry]) -> list[Violation]:
    """Every violation of exactly-once in ``history`` against ``final`` (none: it holds)."""
    violations: list[Violation] = []
    seqs: dict[UUID, list[int]] = defaultdict(list)
    for entry in final:
        seqs[entry.originator_id].append(entry.seq)
    claimed = Counter(command.creates for command in history)
    for creates, count in sorted(claimed.items()):
        if count > 1:
            ids = [c.command_id for c in history if c.creates == creates]
            violations.append(Violation("shared answer", f"commands {ids} all create {creates}"))
    for command in history:
        found = seqs.get(command.creates, [])
        if len(found) > 1:
            violations.append(
                Violation("duplicate", f"{command.command_id} is final at seqs {sorted(found)}")
            )
        elif not found and command.answer is not None:
            violations.append(
                Violation("missing", f"{command.command_id} was acknowledged but is not final")
            )
    for originator_id in sorted(set(seqs) - set(claimed)):
        violations.append(
            Violation(
                "phantom",
                f"{originator_id} is final at seqs {sorted(seqs[originator_id])} "
                "but no command created it",
            )
        )
    violations.extend(_order(history, seqs))
    return violations


def _order(history: Sequence[Command], seqs: dict[UUID, list[int]]) -> list[Violation]:
    """Each writer's acknowledged commands are final in increasing seq."""
    violations: list[Violation] = []
    last: dict[str, tuple[str, int]] = {}
    for command in history:
        found = seqs.get(command.creates, [])
        if command.answer is None or not found:
            continue
        seq = min(found)
        before = last.get(command.writer)
        if before is not None and seq <= before[1]:
            violations.append(
                Violation(
                    "order",
                    f"{command.writer}: {command.command_id} acknowledged after {before[0]} "
                    f"but final at seq {seq}, not after {before[1]}",
                )
            )
        last[command.writer] = (command.command_id, seq)
    return violations


def final_creations(registry: str, topic: str) -> list[FinalEntry]:
    """The host's ``registry`` entries of ``topic`` held by its last final block, in seq order."""
    top = Block.objects.filter(level__in=[FINAL, WITNESSED]).order_by("-height").first()
    if top is None:
        return []
    size = BlockLog.objects.get(block=top, registry=registry).size
    rows = LedgerEntry.objects.filter(registry=registry, topic=topic, seq__lte=size).order_by("seq")
    return [FinalEntry(row.seq, row.originator_id) for row in rows]
