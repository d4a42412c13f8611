"""Registry checkpoints cosigned by a quorum of supernodes.

A checkpoint (DESIGN.md section 3) is a C2SP tlog-checkpoint in a signed
note, what standard transparency tools and witnesses read. Signed by one
supernode, it would make a C2SP consumer trust that one key; so every
supernode that signs the block adds its signature line to the one note
(:func:`chain.notes.merge_signatures`), and a checkpoint is *published* (the
auditor API's latest checkpoint, the node's witness) only with valid lines of
2F+1 of the supernodes holding a key valid at the block's height
(:class:`chain.witness.SignerQuorum`, the one definition of that rule).

Local mode signs with its single supernode (its own quorum), the devnet with
every supernode whose finalize vote the block holds, and a cluster host
merges the lines each supernode's final report carries, keeping only those
that verify against a key valid at that height.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db.models import Q

from chain import notes
from chain.blocks.models import FINAL, WITNESSED, Block, BlockLog, Checkpoint, Supernode
from chain.keys import NodeKey
from chain.witness import SignerQuorum

__all__ = [
    "add_block_signatures",
    "add_signatures",
    "checkpoint_origin",
    "head_quorums",
    "is_published",
    "latest_published",
    "sign_checkpoints",
    "supernode_quorum",
]


def checkpoint_origin(registry: str) -> str:
    """The C2SP origin line of a registry log, e.g. ``riik.example/business``."""
    return f"{settings.RIIK_ORIGIN_PREFIX}/{registry}"


def supernode_quorum(height: int) -> SignerQuorum:
    """The supernode keys valid at block ``height`` (the member history the
    bundle header exports) and the quorum of them a checkpoint needs."""
    rows = Supernode.objects.filter(added_at_height__lte=height).filter(
        Q(until_height__isnull=True) | Q(until_height__gte=height)
    )
    return SignerQuorum({(s.name, bytes.fromhex(s.key_id)): bytes(s.public_key) for s in rows})


def _body(log: BlockLog) -> str:
    return notes.checkpoint_body(checkpoint_origin(log.registry), log.size, bytes(log.root))


def _merge(block: Block, incoming: dict[str, str]) -> None:
    """Store each note's lines in the block's checkpoint of its registry (created if missing).

    One read of the block's checkpoints, one multi-row insert of the missing
    ones and one update of those that gained lines: a block costs the same
    few queries however many logs it carries.
    """
    stored = {
        checkpoint.registry: checkpoint
        for checkpoint in Checkpoint.objects.select_for_update().filter(
            block=block, registry__in=list(incoming)
        )
    }
    missing = [
        Checkpoint(block=block, registry=registry, note=note)
        for registry, note in incoming.items()
        if registry not in stored
    ]
    changed = []
    for registry, checkpoint in stored.items():
        merged = notes.merge_signatures(checkpoint.note, incoming[registry])
        if merged != checkpoint.note:
            checkpoint.note = merged
            changed.append(checkpoint)
    if missing:
        Checkpoint.objects.bulk_create(missing)
    if changed:
        Checkpoint.objects.bulk_update(changed, ["note"])


def sign_checkpoints(block: Block, keys: Sequence[NodeKey]) -> None:
    """Add a signature line by each of ``keys`` to every checkpoint of ``block``."""
    if not keys:
        return
    signed: dict[str, str] = {}
    for log in block.logs.all():
        note = keys[0].sign_note(_body(log))
        for key in keys[1:]:
            note = notes.add_signature(note, key.name, key.private_key)
        signed[log.registry] = note
    _merge(block, signed)


def add_signatures(block: Block, registry: str, note: str) -> int:
    """Merge the lines of a supernode's ``note`` that verify against a key valid at
    the block's height into the block's checkpoint; return how many verified.

    A note of another body (another size, root or origin) adds nothing, nor
    does a line of a stranger, a retired key or a forged signature.
    """
    return add_block_signatures(block, {registry: note}).get(registry, 0)


def add_block_signatures(block: Block, *incoming: Mapping[str, str]) -> dict[str, int]:
    """:func:`add_signatures` for the notes of several registries of one block at once
    (a supernode's final report carries one per log), from one report or several
    (a cluster host merges a block's final reports together); how many lines
    verified, by registry.

    Every line is checked as :func:`add_signatures` checks it, each report's
    note on its own; the block's logs and its height's supernode keys are read
    once, and the verified lines of every report merged in one :func:`_merge`,
    not a round of queries per log or per report.
    """
    wanted = sorted({registry for notes_of in incoming for registry in notes_of})
    logs = {log.registry: log for log in block.logs.filter(registry__in=wanted)}
    if not logs:
        return {}
    keys = supernode_quorum(block.height).keys
    lines: dict[str, dict[str, None]] = {}
    counts: dict[str, int] = {}
    for notes_of in incoming:
        for registry, note in notes_of.items():
            log = logs.get(registry)
            if log is None:
                continue
            try:
                body, signatures = notes.split_note(note)
            except notes.NoteError:
                continue
            if body != _body(log):
                continue
            opened = notes.open_note(note, keys)
            valid = [
                sig.line
                for sig in signatures
                if (sig.name, sig.key_id) in keys and sig not in opened.invalid
            ]
            counts[registry] = counts.get(registry, 0) + len(valid)
            lines.setdefault(registry, {}).update(dict.fromkeys(valid))
    verified = {
        registry: _body(logs[registry]) + "\n" + "".join(line + "\n" for line in found)
        for registry, found in lines.items()
        if found
    }
    if verified:
        _merge(block, verified)
    return counts


def is_published(checkpoint: Checkpoint) -> bool:
    """True when the checkpoint carries signatures of a quorum of its height's supernodes."""
    return supernode_quorum(checkpoint.block_id).met_by(checkpoint.note)


def latest_published(registry: str, height: int | None = None) -> Checkpoint | None:
    """The newest published checkpoint of ``registry`` (at ``height`` when given)."""
    candidates = Checkpoint.objects.filter(
        registry=registry, block__level__in=[FINAL, WITNESSED]
    ).select_related("block")
    if height is not None:
        candidates = candidates.filter(block_id=height)
    # A cluster host merges the supernodes' lines as their reports arrive: the
    # newest block may not have its quorum yet.
    for checkpoint in candidates.order_by("-block_id").iterator():
        if is_published(checkpoint):
            return checkpoint
    return None


def head_quorums(registry: str, size: int, root: bytes) -> list[SignerQuorum]:
    """The signer quorums of the final blocks where ``registry`` had this head.

    Its sizes only grow, so these blocks are consecutive; the keys change
    only where a member's key range starts or ends, so one quorum per
    distinct key set is enough.
    """
    heights = BlockLog.objects.filter(
        registry=registry, size=size, root=root, block__level__in=[FINAL, WITNESSED]
    ).values_list("block_id", flat=True)
    first, last = min(heights, default=None), max(heights, default=None)
    if first is None or last is None:
        return []
    changes = {first}
    for start, end in Supernode.objects.values_list("added_at_height", "until_height"):
        changes.update(h for h in (start, None if end is None else end + 1) if h is not None)
    quorums: list[SignerQuorum] = []
    for height in sorted(h for h in changes if first <= h <= last):
        quorum = supernode_quorum(height)
        if quorum not in quorums:
            quorums.append(quorum)
    return quorums
