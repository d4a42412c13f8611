"""The chain as a stream of bundle records, read from the database.

``manage.py chain export`` writes these records as JSON Lines and
``manage.py chain verify`` feeds them to the same
:class:`chain.verify.ChainVerifier` an auditor runs on the exported file, so
the two can never disagree. Entries are read in keyset-paginated chunks and
joined with their stored events, so memory stays constant on any log size.
The record layout is written down in docs/chain-format.md.

A public bundle or receipt (``public=True``) leaves out the payload bytes of
every registry event (DESIGN §8: the chain proves, it does not publish);
only the chain's own log keeps them, its evidence and membership changes
being public. Full ones are for operators and auditors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from chain.blocks.models import FINAL, LEVEL_ORDER, Block, BlockLog, Supernode, Validator
from chain.blocks.status import ledger_status
from chain.encoding import ZERO_HASH, timestamp
from chain.ledger.databases import log_database
from chain.ledger.heads import entry_count
from chain.ledger.models import LedgerEntry, LedgerHead
from chain.ledger.proofs import inclusion_proof, subtree_fetcher
from chain.ledger.sqlite import events_table
from chain.merkle import MerkleFrontier
from chain.protocol import CHAIN_LOG, TIER_KINDS, quorum
from chain.verify import (
    BUNDLE_FORMAT,
    PAYLOADS_OMITTED,
    RECEIPT_FORMAT,
    EntryRow,
    VerificationFailure,
)
from chain.verify.money import PUBLIC_ACT, public_act

CHUNK = 2000


def header_record() -> dict[str, Any]:
    """The bundle header: chain, registries and the supernodes' keys."""
    supernodes = list(Supernode.objects.order_by("name", "added_at_height"))
    return {
        "type": "header",
        "format": BUNDLE_FORMAT,
        "chain_id": settings.RIIK_CHAIN_ID,
        "origin_prefix": settings.RIIK_ORIGIN_PREFIX,
        "registries": sorted(settings.RIIK_REGISTRIES),
        "supernodes": [_member(s) for s in supernodes],
        "quorum": quorum(len({s.name for s in supernodes if s.until_height is None}))
        if supernodes
        else 1,
        **_tier_lists(),
        "exported_at": timestamp(datetime.now(UTC)),
    }


def _tier_lists() -> dict[str, Any]:
    """``witnesses``/``witness_quorum`` and ``citizens``/``citizen_threshold``, when present."""
    listed: dict[str, Any] = {}
    for tier, key, threshold_key in (
        ("witness", "witnesses", "witness_quorum"),
        ("citizen", "citizens", "citizen_threshold"),
    ):
        members = list(Validator.objects.filter(tier=tier).order_by("name", "added_at_height"))
        if not members:
            continue
        listed[key] = [_member(v) for v in members]
        current = len({v.name for v in members if v.until_height is None})
        if tier == "witness":
            listed[threshold_key] = quorum(current)
        else:
            listed[threshold_key] = max(1, min(settings.RIIK_CITIZEN_THRESHOLD, current))
    return listed


def _member(member: Supernode | Validator) -> dict[str, Any]:
    """A member key with the heights it is valid for (the bundle's member history)."""
    record: dict[str, Any] = {
        "name": member.name,
        "public_key": bytes(member.public_key).hex(),
        "key_id": member.key_id,
        "from_height": member.added_at_height,
    }
    if member.until_height is not None:
        record["until_height"] = member.until_height
    return record


def _signatures(block: Block, tier: str, kind: str) -> list[dict[str, str | int]]:
    return [
        {
            "signer": s.signer,
            "round": s.round,
            "key_id": s.key_id,
            "alg": s.alg,
            "signature": bytes(s.signature).hex(),
        }
        for s in block.signatures.filter(tier=tier, kind=kind).order_by("signer", "round")
    ]


def _connection(registry: str) -> BaseDatabaseWrapper:
    # A log and its events table are in the registry's database (ADR 0069).
    return connections[log_database(registry)]


def _has_events_table(registry: str) -> bool:
    return events_table(registry) in _connection(registry).introspection.table_names()


def entry_records(registry: str, after: int, upto: int | None) -> Iterator[EntryRow]:
    """Ledger entries ``after < seq <= upto`` of a registry, with their payloads."""
    if not _has_events_table(registry):
        return
    connection = _connection(registry)
    table = connection.ops.quote_name(events_table(registry))
    query = (
        "SELECT l.seq, l.originator_id, l.originator_version, l.topic, l.recorded_at, "
        "l.payload_hash, l.prev_hash, l.entry_hash, e.state "
        f"FROM ledger_entry l LEFT JOIN {table} e "
        "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
        "WHERE l.registry = %s AND l.seq > %s AND l.seq <= %s ORDER BY l.seq LIMIT %s"
    )
    limit = upto if upto is not None else 2**62
    while after < limit:
        with connection.cursor() as cursor:
            cursor.execute(query, [registry, after, limit, CHUNK])
            rows = cursor.fetchall()
        if not rows:
            return
        for seq, originator, version, topic, recorded_at, payload_hash, prev, this, state in rows:
            if state is None:
                raise VerificationFailure(f"registry {registry} seq {seq}: stored event missing")
            yield EntryRow(
                registry=registry,
                seq=seq,
                originator_id=_uuid_text(originator),
                originator_version=version,
                topic=topic,
                recorded_at=recorded_at,
                payload_hash=bytes(payload_hash),
                prev_hash=bytes(prev),
                entry_hash=bytes(this),
                payload=bytes(state),
            )
        after = rows[-1][0]


def public_entry(row: EntryRow) -> dict[str, Any]:
    """The ``entry`` record of a public bundle: no payload bytes of a registry event.

    The chain log's entries keep theirs: evidence and membership changes are
    public, and the verifier needs them to check the certificates. A central
    bank act's entry carries the act's public terms instead (amount, bank,
    supernode votes: DESIGN §10's public supply), which the verifier checks
    against the votes.
    """
    record = row.record()
    if row.registry != CHAIN_LOG:
        del record["payload"]
        act = public_act(row)
        if act is not None:
            record[PUBLIC_ACT] = act
    return record


def _uuid_text(value: object) -> str:
    # PostgreSQL hands back a UUID; Django's SQLite UUIDField stores 32 hex digits.
    if isinstance(value, UUID):
        return str(value)
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return str(UUID(text))


def block_record(block: Block, tiers: Iterable[str] = ()) -> dict[str, Any]:
    """A block with its header, certificates and checkpoints.

    ``tiers``: the other tiers the bundle header lists (``witness``,
    ``citizen``), whose certificates are added as ``<tier>_certificate``.
    """
    record: dict[str, Any] = {
        "type": "block",
        "header": json.loads(block.header),
        "block_hash": bytes(block.block_hash).hex(),
        "round": block.round,
        "certificate": _signatures(block, "supernode", "finalize"),
        "checkpoints": {c.registry: c.note for c in block.checkpoints.order_by("registry")},
    }
    for tier in tiers:
        record[f"{tier}_certificate"] = _signatures(block, tier, TIER_KINDS[tier])
    return record


def unlinked_events(registry: str) -> int:
    """How many stored events of a registry have no ledger entry (must be 0)."""
    if not _has_events_table(registry):
        return 0
    connection = _connection(registry)
    table = connection.ops.quote_name(events_table(registry))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} e LEFT JOIN ledger_entry l "
            "ON l.registry = %s AND e.originator_id = l.originator_id "
            "AND e.originator_version = l.originator_version WHERE l.seq IS NULL",
            [registry],
        )
        (count,) = cursor.fetchone()
    return int(count)


def check_storage(
    registry: str, entries: int, last_entry_hash: bytes, frontier: MerkleFrontier
) -> None:
    """Database-only checks after the log itself verified: every stored event
    has its ledger entry, and the cached head agrees with the log.

    ``frontier`` is the verified log's Merkle frontier; a head or stored
    subtree that disagrees is named by the first entries it misstates.
    """
    unlinked = unlinked_events(registry)
    if unlinked:
        raise VerificationFailure(
            f"registry {registry}: {unlinked} stored events have no ledger entry"
        )
    head = LedgerHead.objects.filter(registry=registry).first()
    size = head.size if head else 0
    if size != entries:
        raise VerificationFailure(
            f"registry {registry}: ledger head says size {size} but the log has {entries} entries"
        )
    if head is None:
        return
    if bytes(head.entry_hash) != last_entry_hash:
        raise VerificationFailure(
            f"registry {registry} seq {size}: the ledger head's entry_hash is not the entry's"
        )
    stored = MerkleFrontier.from_bytes(head.size, bytes(head.frontier))
    subtrees = MerkleFrontier.from_store(size, subtree_fetcher(registry))
    first = 1
    for bit in reversed(range(size.bit_length())):
        if not size >> bit & 1:
            continue
        # The frontier's hashes are the perfect subtrees left to right.
        index = (size >> bit).bit_count() - 1
        last = first + (1 << bit) - 1
        for what, cached in (("ledger head", stored), ("stored Merkle subtrees", subtrees)):
            if cached.hashes[index] != frontier.hashes[index]:
                raise VerificationFailure(
                    f"registry {registry} seq {first}..{last}: the {what} hash of these "
                    "entries does not match the log"
                )
        first = last + 1


class RangeError(ValueError):
    """A height range the chain does not have."""


def _anchor(height: int, registries: Iterable[str], tiers: Iterable[str]) -> dict[str, Any]:
    """Block ``height`` and each log's state at it: where a range bundle starts."""
    block = Block.objects.prefetch_related("logs").filter(height=height).first()
    if block is None:
        raise RangeError(f"there is no block {height} to start after")
    record = block_record(block, tiers)
    record.pop("type")
    sizes = {log.registry: log.size for log in block.logs.all()}
    logs = {}
    for registry in registries:
        size = sizes.get(registry, 0)
        last = LedgerEntry.objects.filter(registry=registry, seq=size).first() if size else None
        frontier = MerkleFrontier.from_store(size, subtree_fetcher(registry))
        logs[registry] = {
            "size": size,
            "entry_hash": bytes(last.entry_hash).hex() if last else ZERO_HASH.hex(),
            "frontier": [node.hex() for node in frontier.hashes],
        }
    return {"block": record, "logs": logs}


def bundle_records(
    from_height: int | None = None, to_height: int | None = None, *, public: bool = False
) -> Iterator[dict[str, Any] | EntryRow]:
    """Every record of the chain, in bundle order, ending with the ``end`` record.

    Entries come as :class:`~chain.verify.EntryRow` (``.record()`` is their
    bundle form), everything else as bundle records. With ``from_height`` the
    bundle starts after an anchor (the previous block and the logs' frontiers,
    in the header); with ``to_height`` it stops after that block and leaves
    out the entries not yet sealed. A ``public`` bundle says so in its header
    (``"payloads": "omitted"``) and its entries come as :func:`public_entry`
    records. Raises :class:`RangeError` for a range the chain does not have.
    """
    first = 1 if from_height is None else from_height
    last_height = Block.objects.order_by("-height").values_list("height", flat=True).first() or 0
    if first < 1 or (to_height is not None and not first <= to_height <= last_height):
        raise RangeError(
            f"no blocks {first}..{to_height if to_height is not None else ''} "
            f"(the chain has blocks 1..{last_height})"
        )
    if first > max(last_height, 1):
        raise RangeError(f"no block {first} (the chain has blocks 1..{last_height})")
    header = header_record()
    if public:
        header["payloads"] = PAYLOADS_OMITTED
    tiers = [
        tier for tier, key in (("witness", "witnesses"), ("citizen", "citizens")) if key in header
    ]
    registries = sorted(settings.RIIK_REGISTRIES)
    sizes = dict.fromkeys(registries, 0)
    if first > 1:
        anchor = _anchor(first - 1, registries, tiers)
        header["from_height"] = first
        header["anchor"] = anchor
        sizes = {registry: anchor["logs"][registry]["size"] for registry in registries}
    yield header
    entries = blocks = 0
    heights = Block.objects.filter(height__gte=first).order_by("height")
    if to_height is not None:
        heights = heights.filter(height__lte=to_height)
    for height in heights.values_list("height", flat=True).iterator():
        block = Block.objects.prefetch_related("logs").get(height=height)
        logs = {log.registry: log.size for log in block.logs.all()}
        for registry in registries:
            for record in entry_records(registry, sizes[registry], logs.get(registry, 0)):
                entries += 1
                yield public_entry(record) if public else record
            sizes[registry] = logs.get(registry, 0)
        blocks += 1
        yield block_record(block, tiers)
    if to_height is None:
        for registry in registries:
            for record in entry_records(registry, sizes[registry], None):
                entries += 1
                yield public_entry(record) if public else record
    yield {"type": "end", "entries": entries, "blocks": blocks}


def total_items(from_height: int | None = None, to_height: int | None = None) -> int:
    """Entries plus blocks: the length of an export's progress bar."""
    if from_height is None and to_height is None:
        return entry_count() + Block.objects.count()
    blocks = Block.objects.filter(height__gte=from_height or 1)
    if to_height is not None:
        blocks = blocks.filter(height__lte=to_height)
    # Entries between the logs' sizes at the range's ends, summed over registries.
    before = BlockLog.objects.filter(block_id=(from_height or 1) - 1)
    after = BlockLog.objects.filter(block_id=to_height) if to_height is not None else None
    start = sum(before.values_list("size", flat=True))
    end = sum(after.values_list("size", flat=True)) if after is not None else entry_count()
    return blocks.count() + end - start


class ReceiptError(LookupError):
    """No receipt can be made for this record (no such entry, not final yet, ...)."""

    def __init__(self, message: str, *, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def ledger_row(registry: str, seq: int) -> EntryRow:
    """Entry ``seq`` of a registry log with its payload (:class:`ReceiptError` if none)."""
    if registry not in settings.RIIK_REGISTRIES:
        raise ReceiptError(f"no registry log named {registry!r}")
    rows = list(entry_records(registry, seq - 1, seq)) if seq >= 1 else []
    if not rows or rows[0].seq != seq:
        raise ReceiptError(f"registry {registry} has no entry {seq}")
    return rows[0]


def receipt_record(registry: str, seq: int, *, public: bool = False) -> dict[str, Any]:
    """A finality receipt of entry ``seq`` of ``registry``.

    One small JSON object that ``python -m chain.verify`` checks offline: the
    entry with its payload, its inclusion proof in the first block that holds
    it, that block's header, tier certificates and checkpoint, and the member
    keys needed to check them (so it still verifies after keys rotate). A
    ``public`` receipt leaves out the payload of a registry event and says so
    (``"payloads": "omitted"``). The layout is in docs/chain-format.md.
    """
    row = ledger_row(registry, seq)
    if seq > 1:
        previous = LedgerEntry.objects.filter(registry=registry, seq=seq - 1).first()
        if previous is None or bytes(previous.entry_hash) != row.prev_hash:
            # A receipt certifies the log around the record; never vouch for a broken one.
            raise ReceiptError(
                f"registry {registry} seq {seq}: prev_hash does not match entry {seq - 1}",
                status=409,
            )
    status = ledger_status(registry, seq)
    if status.block_height is None:
        raise ReceiptError(f"registry {registry} seq {seq} is not in a block yet", status=409)
    block = Block.objects.prefetch_related("logs").get(height=status.block_height)
    if LEVEL_ORDER.index(block.level) < LEVEL_ORDER.index(FINAL):
        raise ReceiptError(
            f"registry {registry} seq {seq}: block {block.height} is not final yet", status=409
        )
    size = next(log.size for log in block.logs.all() if log.registry == registry)
    header = header_record()
    tiers = [
        tier for tier, key in (("witness", "witnesses"), ("citizen", "citizens")) if key in header
    ]
    record = block_record(block, tiers)
    record.pop("type")
    record["checkpoints"] = {registry: record["checkpoints"].get(registry, "")}
    keys = {
        key: header[key]
        for key in (
            "supernodes",
            "quorum",
            "witnesses",
            "witness_quorum",
            "citizens",
            "citizen_threshold",
        )
        if key in header
    }
    entry = public_entry(row) if public else row.record()
    entry.pop("type")
    receipt: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "chain_id": settings.RIIK_CHAIN_ID,
        "origin_prefix": settings.RIIK_ORIGIN_PREFIX,
        "issued_at": timestamp(datetime.now(UTC)),
        "keys": keys,
        "entry": {k: v.hex() if isinstance(v, bytes) else v for k, v in entry.items()},
        "inclusion": {
            "leaf_index": seq - 1,
            "tree_size": size,
            "proof": [node.hex() for node in inclusion_proof(registry, seq, size)],
        },
        "block": record,
    }
    if "payload" not in entry:
        receipt["payloads"] = PAYLOADS_OMITTED
    return receipt
