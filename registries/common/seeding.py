"""Seeding through batched commands: the demo's registrations, many records a transaction.

The national seeder (``manage.py demo``) registers persons, companies and
land units through the registries' batched commands
(:meth:`~registries.common.application.RegistryApplication.batch`), so a
batch of them is one transaction and one ledger append, not hundreds: the
same recorders and ledger as any command, only fewer round trips and locks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from registries.common.application import ItemRefused
from registries.common.errors import Conflict

__all__ = ["BATCH", "in_batches"]

BATCH = 500
"""How many records the seeder registers in one batched command."""

# A batch whose drawn items keep clashing (a crowded registry) gives up after this many redraws.
_REDRAWS = 1_000

Item = TypeVar("Item")
T = TypeVar("T")


def in_batches(
    count: int,
    draw: Callable[[Sequence[Item]], Item],
    register: Callable[[list[Item]], list[T]],
    size: int = BATCH,
) -> Iterator[list[T]]:
    """Register ``count`` drawn items, ``size`` at a time; yield each batch's results.

    ``draw(batch)`` makes up one item (``batch``: the items drawn for this
    batch so far, to keep it apart from them). An item the registry refuses
    as a conflict (its code or name is taken already, by the registry or by
    an earlier item of the batch) is drawn again and the batch sent again,
    as one draws a fresh code after a clash; any other refusal is raised.
    """
    done = 0
    while done < count:
        batch: list[Item] = []
        for _ in range(min(size, count - done)):
            batch.append(draw(batch))
        for _ in range(_REDRAWS):
            try:
                results = register(batch)
                break
            except ItemRefused as refused:
                if not isinstance(refused.refusal, Conflict):
                    raise
                others = batch[: refused.index] + batch[refused.index + 1 :]
                batch[refused.index] = draw(others)
        else:
            msg = "the demo data kept drawing codes or names that are taken"
            raise RuntimeError(msg)
        done += len(results)
        yield results
