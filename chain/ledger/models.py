"""Ledger tables.

The recorders (:mod:`chain.ledger.sqlite`, :mod:`chain.ledger.postgres`) write
these rows with plain SQL inside the event store's own insert transaction;
Django owns their schema and reads them. Rows are never updated or deleted by
the application (the head is a cache of the log's right edge, rebuilt by
``chain verify`` checks). Each log's rows are in its registry's database
(:mod:`chain.ledger.databases`).
"""

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Self, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from chain.encoding import entry_leaf
from chain.ledger.databases import log_database

Row = TypeVar("Row", bound=models.Model)


class LogQuerySet(models.QuerySet[Row]):
    """Ledger rows, read from the database of the registry log the query names.

    A query that filters on one ``registry`` (every query of one log does)
    goes to that log's database (:func:`chain.ledger.databases.log_database`)
    unless it chose one with ``using()``; a query naming no registry reads the
    default database (the chain's own log, and every log while all registries
    share it).
    """

    def filter(self, *args: Any, **kwargs: Any) -> Self:
        """Django's ``filter``, routed to the log's database by ``registry=``
        (or ``registry__exact=``, the admin's filter)."""
        found = super().filter(*args, **kwargs)
        registry = _named_registry(args, kwargs)
        # _db is the database chosen with using() (None: left to the router);
        # Django's stubs do not declare it.
        chosen = self._db  # type: ignore[attr-defined]
        if registry is not None and chosen is None:
            found = found.using(log_database(registry))
        return found


def _named_registry(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    # registry="x" as a keyword, or as a condition every row must meet in a
    # Q() (an AND of conditions, not negated) given as a positional argument.
    for key in ("registry", "registry__exact"):
        if isinstance(kwargs.get(key), str):
            return str(kwargs[key])
    for condition in args:
        if not isinstance(condition, models.Q) or condition.negated:
            continue
        if condition.connector != models.Q.AND:
            continue
        for child in condition.children:
            if isinstance(child, models.Q):
                found = _named_registry((child,), {})
            elif isinstance(child, tuple) and len(child) == 2:
                found = _named_registry((), {str(child[0]): child[1]})
            else:
                continue
            if found is not None:
                return found
    return None


LogManager = models.Manager.from_queryset(LogQuerySet)


class LedgerEntry(models.Model):
    """One stored event's place in its registry's hash-chained log."""

    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    seq = models.BigIntegerField(
        help_text="1, 2, 3 ... gapless per registry", verbose_name=_("seq")
    )
    originator_id = models.UUIDField(verbose_name=_("originator id"))
    originator_version = models.BigIntegerField(verbose_name=_("originator version"))
    topic = models.TextField(verbose_name=_("topic"))
    recorded_at = models.CharField(max_length=32, verbose_name=_("recorded at"))
    payload_hash = models.BinaryField(max_length=32, verbose_name=_("payload hash"))
    prev_hash = models.BinaryField(max_length=32, verbose_name=_("prev hash"))
    entry_hash = models.BinaryField(max_length=32, verbose_name=_("entry hash"))

    objects = LogManager()

    class Meta:
        verbose_name = _("ledger entry")
        db_table = "ledger_entry"
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["registry", "seq"], name="ledger_entry_seq"),
            models.UniqueConstraint(
                fields=["registry", "originator_id", "originator_version"],
                name="ledger_entry_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry} #{self.seq}"

    def leaf(self) -> bytes:
        """The Merkle leaf data: the canonical envelope of this entry."""
        return entry_leaf(
            registry=self.registry,
            seq=self.seq,
            originator_id=str(self.originator_id),
            originator_version=self.originator_version,
            topic=self.topic,
            recorded_at=self.recorded_at,
            payload_hash=bytes(self.payload_hash),
        )


class LedgerSubtree(models.Model):
    """Hash of a complete Merkle subtree: level 0 are leaf hashes.

    Kept so that an inclusion or consistency proof costs O(log n) reads.
    """

    pk = models.CompositePrimaryKey("registry", "level", "idx")
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    level = models.SmallIntegerField(verbose_name=_("level"))
    idx = models.BigIntegerField(verbose_name=_("idx"))
    hash = models.BinaryField(max_length=32, verbose_name=_("hash"))

    objects = LogManager()

    class Meta:
        verbose_name = _("ledger subtree")
        verbose_name_plural = _("ledger subtrees")
        db_table = "ledger_subtree"

    def __str__(self) -> str:
        return f"{self.registry} subtree {self.level}/{self.idx}"


class LedgerHead(models.Model):
    """The right edge of one registry's log: its size, last entry hash, frontier."""

    registry = models.CharField(max_length=32, primary_key=True, verbose_name=_("registry"))
    size = models.BigIntegerField(verbose_name=_("size"))
    entry_hash = models.BinaryField(max_length=32, verbose_name=_("entry hash"))
    frontier = models.BinaryField(verbose_name=_("frontier"))

    objects = LogManager()

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger heads")
        db_table = "ledger_head"

    def __str__(self) -> str:
        return f"{self.registry} @ {self.size}"


class ConsensusEvent(models.Model):
    """A chain-level event (evidence, ...): the payload of one ``consensus`` log entry.

    Laid out like an event store's events table (``<registry>_events``), so
    export and verification read the chain log like any registry log; rows
    are written by :mod:`chain.ledger.chainlog` with their ledger entry.
    """

    originator_id = models.UUIDField(verbose_name=_("originator id"))
    originator_version = models.BigIntegerField(verbose_name=_("originator version"))
    topic = models.TextField(verbose_name=_("topic"))
    state = models.BinaryField(help_text="Canonical JSON of the event", verbose_name=_("state"))

    class Meta:
        verbose_name = _("consensus event")
        verbose_name_plural = _("consensus events")
        db_table = "consensus_events"
        constraints = [
            models.UniqueConstraint(
                fields=["originator_id", "originator_version"], name="consensus_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.originator_id}"


@dataclass(frozen=True)
class MembershipSummary:
    """What a membership entry is at a glance: its change type, the height whose
    supernodes certify it, the first block it applies to and who signed (sorted)."""

    type: str
    height: int
    from_height: int
    signers: tuple[str, ...]


class MembershipEntry(LedgerEntry):
    """A membership change of the chain log (its entries of topic
    ``chain.consensus.membership:ChangeCertificate``), for the admin and the API."""

    class Meta:
        proxy = True
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")

    @cached_property
    def payload(self) -> dict[str, Any]:
        """The entry's payload: the change, its heights and its quorum certificate."""
        event = ConsensusEvent.objects.get(
            originator_id=self.originator_id, originator_version=self.originator_version
        )
        payload: dict[str, Any] = json.loads(bytes(event.state))
        return payload

    @cached_property
    def summary(self) -> MembershipSummary:
        """The entry's type, heights and certifying supernodes, as the admin and API show them."""
        payload = self.payload
        return MembershipSummary(
            type=str(payload["change"]["type"]),
            height=int(payload["height"]),
            from_height=int(payload["from_height"]),
            signers=tuple(sorted({vote["signer"] for vote in payload["certificate"]})),
        )
