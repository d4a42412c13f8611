"""Block certificates and registry checkpoints, checked against the member keys.

:class:`Certificates` holds each tier's keys (the key history derived from the
certified membership entries, the auditor's trusted keys, or before any
membership entry the bundle header's lists, :func:`chain.verify.header.read_header`)
and checks a block's tier certificates by the one rule of
:mod:`chain.certificates` and its signed checkpoints against the keys valid at
the block's height.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import notes
from chain.certificates import OFF_ROUND, Signature, count_certificate, quorum_at
from chain.encoding import vote_message
from chain.memberlog import MemberLog
from chain.protocol import CITIZEN_TIER, FIXED_ROUNDS, SUPERNODE_TIER, TIER_KINDS, WITNESS_TIER
from chain.verify.records import fail
from chain.verify.report import MAX_SAMPLES, Report

__all__ = ["HEX", "Certificates", "KeyRef", "Span"]

HEX = re.compile(r"(?:[0-9a-f]{2})*")
"""Lowercase hex, as signatures and key ids are written."""

KeyRef = tuple[str, bytes]
"""(member name, key id) of one listed key."""
Span = tuple[int, int | None]
"""The heights a key may sign for: ``from_height`` to ``until_height`` (None: open)."""


def _in_range(span: Span, height: int) -> bool:
    start, end = span
    return start <= height and (end is None or height <= end)


@dataclass
class Certificates:
    """The keys of each tier, and the checks of the signatures made with them.

    The keys valid at a height come, in this order of precedence, from:

    * for the supernodes, the auditor's trusted keys when given (each with
      the heights it was trusted for, ``spans``; no range means all heights);
    * the key history derived from the chain log's certified membership
      entries read so far (``members``, from the first genesis's first
      block on): never from the unsigned header;
    * before any genesis (or in a range bundle without one), the header's
      lists, with their heights when the header states them (``history``).

    Signatures that do not count are tallied in ``report`` (never a failure).
    """

    chain_id: str
    origin_prefix: str
    registries: Collection[str]
    report: Report
    supernodes: dict[KeyRef, Ed25519PublicKey]
    checkpoint_keys: dict[KeyRef, bytes]
    """The supernodes' raw public keys, as :func:`chain.notes.open_note` takes them."""
    tiers: dict[str, dict[KeyRef, Ed25519PublicKey]]
    spans: dict[tuple[str, str, bytes], list[Span]]
    history: bool
    """True when the header states its keys' heights (and no trusted keys replace them)."""
    fixed_quorum: bool
    """True when the caller set the quorum: the member history does not change it."""
    trusted: bool = False
    """True when the supernode keys are the auditor's (``spans`` then holds their ranges)."""
    trusted_ranges: bool = False
    """True when some trusted key states its heights (the quorum is then per height)."""
    listed: dict[tuple[str, str, bytes], list[Span]] = field(default_factory=dict)
    """The ranges the header states (records with ``from_height``): the cross-check."""
    complete: bool = False
    """True when every member record of the header states its heights."""
    members: MemberLog = field(init=False)
    """The member lists replayed from the certified membership entries read so far."""
    _loaded: dict[bytes, Ed25519PublicKey] = field(default_factory=dict, init=False)
    _checkpoints_seen: dict[
        str, tuple[str, dict[KeyRef, bytes], notes.OpenedNote, notes.Checkpoint]
    ] = field(default_factory=dict, init=False)
    """Per registry, the last checkpoint note that passed every check that depends on
    the note and the keys alone, with those keys, its opening and its checkpoint."""

    def __post_init__(self) -> None:
        self.members = MemberLog(self.chain_id)

    def keys(self, tier: str) -> dict[KeyRef, Ed25519PublicKey]:
        """Every key of ``tier`` the header lists (the trusted keys for the supernodes)."""
        return self.supernodes if tier == SUPERNODE_TIER else self.tiers.get(tier, {})

    def derived(self, height: int) -> bool:
        """True when the keys of ``height`` come from the certified membership entries."""
        first = self.members.genesis_from
        return first is not None and height >= first

    def dated(self, tier: str, height: int) -> bool:
        """True when the keys of ``tier`` at ``height`` have heights: the quorum is then
        that of the members valid at ``height``."""
        if tier == SUPERNODE_TIER and self.trusted:
            return self.trusted_ranges
        return self.derived(height) or self.history

    def public_keys_at(self, tier: str, height: int) -> dict[KeyRef, bytes]:
        """The raw public keys of ``tier`` valid at ``height`` (see the class)."""
        if not (tier == SUPERNODE_TIER and self.trusted) and self.derived(height):
            return self.members.keys_at(tier, height)
        publics = (
            self.checkpoint_keys
            if tier == SUPERNODE_TIER
            else {ref: key.public_bytes_raw() for ref, key in self.keys(tier).items()}
        )
        if not (self.history or self.trusted):
            return dict(publics)
        return {
            (name, kid): public
            for (name, kid), public in publics.items()
            if any(
                _in_range(span, height) for span in self.spans.get((tier, name, kid), [(1, None)])
            )
        }

    def keys_at(self, tier: str, height: int) -> dict[KeyRef, Ed25519PublicKey]:
        """The keys of ``tier`` valid at ``height``, loaded (see the class)."""
        keys: dict[KeyRef, Ed25519PublicKey] = {}
        for ref, public in self.public_keys_at(tier, height).items():
            if public not in self._loaded:
                self._loaded[public] = Ed25519PublicKey.from_public_bytes(public)
            keys[ref] = self._loaded[public]
        return keys

    def _loaded_keys(
        self, publics: Mapping[KeyRef, bytes]
    ) -> dict[KeyRef, Ed25519PublicKey | bytes]:
        """``publics`` with each key loaded once per verification (a key that does
        not load stays raw bytes: :func:`chain.notes.open_note` then refuses it
        as it always has)."""
        keys: dict[KeyRef, Ed25519PublicKey | bytes] = {}
        for ref, public in publics.items():
            loaded = self._loaded.get(public)
            if loaded is None:
                try:
                    loaded = self._loaded[public] = Ed25519PublicKey.from_public_bytes(public)
                except ValueError:
                    keys[ref] = public
                    continue
            keys[ref] = loaded
        return keys

    def threshold_at(self, tier: str, height: int, keys: Collection[KeyRef]) -> int:
        """Distinct signers ``tier``'s certificate needs at ``height`` among ``keys``.

        With heights (a history or trusted ranges), the witness and supernode
        quorum is that of the members holding a key there; the citizen threshold
        is the latest genesis's before ``height``, capped at the citizens there.
        Otherwise the header's (or the caller's) threshold.
        """
        if tier == SUPERNODE_TIER:
            if self.fixed_quorum or not self.dated(tier, height):
                return self.report.quorum
            return quorum_at(keys)
        if tier == CITIZEN_TIER and self.derived(height):
            members = len({name for name, _ in keys})
            return max(1, min(self.members.citizen_threshold_at(height), members))
        if tier == WITNESS_TIER and self.dated(tier, height):
            return quorum_at(keys)
        return self.report.tiers[tier][1]

    def check_quorum(
        self,
        where: str,
        height: int,
        vote_round: int,
        digest: bytes,
        certificate: Sequence[Any],
    ) -> int:
        """The number of distinct valid supernode signers; fails below the quorum.

        Only the keys valid at ``height`` count, and with heights the quorum is
        that of the supernodes of that height (:meth:`threshold_at`).
        """
        keys = self.keys_at(SUPERNODE_TIER, height)
        valid = self.valid_signers(
            where, SUPERNODE_TIER, height, vote_round, digest, certificate, keys
        )
        quorum = self.threshold_at(SUPERNODE_TIER, height, keys)
        if len(valid) < quorum:
            fail(f"{where}: missing supernode quorum ({len(valid)} of {quorum} valid signatures)")
        return len(valid)

    def valid_signers(
        self,
        where: str,
        tier: str,
        height: int,
        vote_round: int,
        digest: bytes,
        certificate: Sequence[Any],
        keys: Mapping[KeyRef, Ed25519PublicKey],
    ) -> set[str]:
        """Distinct signers of ``certificate`` with a valid vote of ``tier``'s kind,
        counted by the one rule of :func:`chain.certificates.count_certificate`.

        A finalize vote validly signed in another round than
        :data:`~chain.protocol.FINALIZE_ROUND` fails the block: no node signs
        one, so it is forged or its signer broke the protocol.
        """
        kind = TIER_KINDS[tier]
        prefix = "" if tier == SUPERNODE_TIER else f"{tier} "
        labels: dict[int, str] = {}
        signatures: list[Signature] = []
        for number, item in enumerate(certificate, start=1):
            if not isinstance(item, Mapping):
                self._ignore(f"{where}: {prefix}signature {number} is not an object")
                continue
            signer = item.get("signer")
            kid_hex = item.get("key_id")
            alg = item.get("alg")
            sig_hex = item.get("signature")
            label = f"{where}: {prefix}signature {number} by {signer}+{kid_hex}"
            if not (
                isinstance(signer, str)
                and isinstance(kid_hex, str)
                and isinstance(sig_hex, str)
                and re.fullmatch("[0-9a-f]{8}", kid_hex)
                and HEX.fullmatch(sig_hex)
            ):
                self._ignore(f"{label}: malformed")
                continue
            # Each signature names the round it was cast in (a block committed
            # in round 1 carries round-1 precommits); the block's round is the
            # default for bundles written before signatures carried one.
            sig_round = item.get("round", vote_round)
            if not isinstance(sig_round, int) or isinstance(sig_round, bool) or sig_round < 0:
                self._ignore(f"{label}: malformed round")
                continue
            if alg != "ed25519":
                self._ignore(f"{label}: unsupported alg {alg!r}")
                continue
            signature = Signature(signer, bytes.fromhex(kid_hex), sig_round, bytes.fromhex(sig_hex))
            labels[id(signature)] = label
            signatures.append(signature)

        def message(sig_round: int) -> bytes:
            return vote_message(
                chain_id=self.chain_id,
                tier=tier,
                kind=kind,
                height=height,
                round=sig_round,
                block_hash=digest,
            )

        fixed = FIXED_ROUNDS.get(kind)
        tally = count_certificate(signatures, keys, message, fixed_round=fixed)
        for refusal in tally.refused:
            label = labels[id(refusal.signature)]
            if refusal.reason == OFF_ROUND:
                if refusal.verified and tier == SUPERNODE_TIER:
                    fail(
                        f"{label}: {kind} signed in round {refusal.signature.round}; "
                        f"nodes sign only round {fixed}"
                    )
                self._ignore(f"{label}: round {refusal.signature.round}, not {fixed}")
            else:
                self._ignore(f"{label}: {refusal.reason}")
        for name in sorted(tally.other_rounds - tally.signers):
            # One round per certificate: these votes are valid but of a round
            # that does not count for this certificate.
            self._ignore(f"{where}: {prefix}{name}'s {kind} of another round than {tally.round}")
        return set(tally.signers)

    def check_checkpoints(
        self,
        where: str,
        height: int,
        sizes: Mapping[str, tuple[int, bytes]],
        checkpoints: Mapping[str, Any],
    ) -> None:
        """Each registry's signed checkpoint must state the block's size and root,
        signed by a supernode key valid at the block's ``height``."""
        checkpoint_keys = self.public_keys_at(SUPERNODE_TIER, height)
        for name in sorted(checkpoints):
            if name not in self.registries:
                fail(f"{where}: checkpoint for registry {name!r} not listed in the bundle header")
        for name, (size, root) in sizes.items():
            cp_where = f"{where}: checkpoint for {name}"
            note = checkpoints.get(name)
            seen = self._checkpoints_seen.get(name)
            if (
                seen is not None
                and isinstance(note, str)
                and seen[0] == note
                and seen[1] == checkpoint_keys
            ):
                # The same note under the same keys as a block before (a log with
                # nothing new): its signatures, syntax and origin were checked
                # then, with the same outcome; only the block's size and root are new.
                _, _, opened, checkpoint = seen
                self.report.unknown_checkpoint_signatures += len(opened.unknown)
                if checkpoint.size != size or checkpoint.root != root:
                    fail(
                        f"{cp_where}: size {checkpoint.size} root {checkpoint.root.hex()} "
                        f"do not match the block (size {size} root {root.hex()})"
                    )
                continue
            if note is None:
                fail(f"{cp_where}: missing")
            if not isinstance(note, str):
                fail(f"{cp_where}: malformed note (not a string)")
            try:
                opened = notes.open_note(note, self._loaded_keys(checkpoint_keys))
            except notes.NoteError as exc:
                fail(f"{cp_where}: malformed note ({exc})")
            if opened.invalid:
                fail(f"{cp_where}: bad signature")
            if not opened.verified:
                fail(f"{cp_where}: no valid supernode signature")
            self.report.unknown_checkpoint_signatures += len(opened.unknown)
            try:
                checkpoint = notes.parse_checkpoint(opened.body)
            except notes.NoteError as exc:
                fail(f"{cp_where}: malformed checkpoint ({exc})")
            origin = f"{self.origin_prefix}/{name}"
            if checkpoint.origin != origin:
                fail(f"{cp_where}: origin {checkpoint.origin!r} is not {origin!r}")
            if checkpoint.size != size or checkpoint.root != root:
                fail(
                    f"{cp_where}: size {checkpoint.size} root {checkpoint.root.hex()} "
                    f"do not match the block (size {size} root {root.hex()})"
                )
            if opened.body != notes.checkpoint_body(origin, size, root):
                fail(f"{cp_where}: unexpected extension lines")
            self._checkpoints_seen[name] = (note, checkpoint_keys, opened, checkpoint)

    def _ignore(self, description: str) -> None:
        report = self.report
        report.ignored_signatures += 1
        if len(report.ignored_samples) < MAX_SAMPLES:
            report.ignored_samples.append(description)
