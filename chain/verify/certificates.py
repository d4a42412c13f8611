"""Member keys and what they sign: block certificates and registry checkpoints.

A bundle header lists each tier's member keys (the supernodes, and when
present the witnesses and citizens) with the heights each key may sign for;
:func:`read_members` is the one reader of these lists. :class:`Certificates`
checks a block's tier certificates (distinct valid signers, the supernode
quorum) and its signed checkpoints against the keys valid at its height.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import notes, protocol
from chain.encoding import vote_message
from chain.protocol import CITIZEN_TIER, SUPERNODE_TIER, TIER_KINDS, WITNESS_TIER
from chain.verify.records import fail, get, get_hex, get_int
from chain.verify.report import MAX_SAMPLES, Report

__all__ = [
    "HEX",
    "OPTIONAL_TIERS",
    "Certificates",
    "KeyRef",
    "Members",
    "Span",
    "read_members",
    "read_tier",
]

OPTIONAL_TIERS = {
    # tier: (header list, header threshold)
    WITNESS_TIER: ("witnesses", "witness_quorum"),
    CITIZEN_TIER: ("citizens", "citizen_threshold"),
}
"""Tiers besides the supernodes a bundle may list; their certificates are optional."""

HEX = re.compile(r"(?:[0-9a-f]{2})*")
"""Lowercase hex, as signatures and key ids are written."""

KeyRef = tuple[str, bytes]
"""(member name, key id) of one listed key."""
Span = tuple[int, int | None]
"""The heights a key may sign for: ``from_height`` to ``until_height`` (None: open)."""


@dataclass(frozen=True)
class Members:
    """One tier's keys as a header lists them, with each key's heights."""

    publics: dict[KeyRef, bytes]
    spans: dict[KeyRef, list[Span]]
    dated: bool
    """True when some key states its ``from_height`` (the header has a member history)."""

    @property
    def names(self) -> set[str]:
        """The members listed (a member with several keys counts once)."""
        return {name for name, _ in self.publics}


def read_members(items: Sequence[Any], tier: str) -> Members:
    """A header's list of ``tier`` member keys, each checked against its key id.

    A member may be listed once per key, with heights that do not overlap.
    """
    publics: dict[KeyRef, bytes] = {}
    spans: dict[KeyRef, list[Span]] = {}
    for number, node in enumerate(items, start=1):
        node_where = f"header: {tier} {number}"
        if not isinstance(node, Mapping):
            fail(f"{node_where}: malformed record (not an object)")
        name = get(node, "name", str, node_where)
        public = get_hex(node, "public_key", node_where)
        kid = get_hex(node, "key_id", node_where, size=4)
        try:
            computed = notes.key_id(name, public)
        except notes.NoteError as exc:
            fail(f"{node_where}: {exc}")
        if computed != kid:
            fail(f"header: {tier} {name} key_id {kid.hex()} does not match its public key")
        span = _key_range(node, node_where)
        for (known_name, _), known_spans in spans.items():
            if known_name == name and not all(_disjoint(span, known) for known in known_spans):
                fail(f"header: {tier} {name} is listed twice")
        publics[(name, kid)] = public
        spans.setdefault((name, kid), []).append(span)
    dated = any("from_height" in node for node in items if isinstance(node, Mapping))
    return Members(publics, spans, dated)


def read_tier(
    header: Mapping[str, Any], tier: str
) -> tuple[Members, dict[KeyRef, Ed25519PublicKey], int]:
    """The members, keys and threshold of an optional tier listed in the header."""
    list_key, threshold_key = OPTIONAL_TIERS[tier]
    items: list[Any] = get(header, list_key, list, "header")
    threshold = get_int(header, threshold_key, "header", minimum=1)
    members = read_members(items, tier)
    keys: dict[KeyRef, Ed25519PublicKey] = {}
    for (name, kid), public in members.publics.items():
        try:
            keys[(name, kid)] = Ed25519PublicKey.from_public_bytes(public)
        except ValueError as exc:
            fail(f"header: {tier} {name} public key is not a valid Ed25519 key ({exc})")
    if threshold > len(members.names):
        fail(
            f"header: {threshold_key} {threshold} exceeds the {len(members.names)} "
            f"{list_key} listed"
        )
    return members, keys, threshold


def _key_range(node: Mapping[str, Any], where: str) -> Span:
    """A listed key's heights: ``from_height`` (default 1) to ``until_height`` (open)."""
    start = get_int(node, "from_height", where, minimum=1) if "from_height" in node else 1
    until = node.get("until_height")
    if until is None:
        return start, None
    end = get_int(node, "until_height", where, minimum=start - 1)
    return start, end


def _in_range(span: Span, height: int) -> bool:
    start, end = span
    return start <= height and (end is None or height <= end)


def _disjoint(a: Span, b: Span) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    return (a_end is not None and a_end < b_start) or (b_end is not None and b_end < a_start)


@dataclass
class Certificates:
    """The keys of each tier, and the checks of the signatures made with them.

    ``spans`` holds each listed key's heights by (tier, name, key id); with
    ``history`` only the keys valid at a block's height count for it.
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
    fixed_quorum: bool
    """True when the caller set the quorum: the member history does not change it."""

    def keys(self, tier: str) -> dict[KeyRef, Ed25519PublicKey]:
        """Every listed key of ``tier``."""
        return self.supernodes if tier == SUPERNODE_TIER else self.tiers.get(tier, {})

    def keys_at(self, tier: str, height: int) -> dict[KeyRef, Ed25519PublicKey]:
        """The keys of ``tier`` valid at ``height`` (all of them without a history)."""
        keys = self.keys(tier)
        if not self.history:
            return dict(keys)
        return {
            (name, kid): key
            for (name, kid), key in keys.items()
            if any(
                _in_range(span, height) for span in self.spans.get((tier, name, kid), [(1, None)])
            )
        }

    def check_quorum(
        self,
        where: str,
        height: int,
        vote_round: int,
        digest: bytes,
        certificate: Sequence[Any],
    ) -> int:
        """The number of distinct valid supernode signers; fails below the quorum.

        With a member history, only the keys valid at ``height`` count and the
        quorum is that of the supernodes of that height.
        """
        keys = self.keys_at(SUPERNODE_TIER, height)
        valid = self.valid_signers(
            where, SUPERNODE_TIER, height, vote_round, digest, certificate, keys
        )
        quorum = self.report.quorum
        if self.history and not self.fixed_quorum:
            quorum = protocol.quorum(len({name for name, _ in keys}))
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
        """Distinct signers of ``certificate`` with a valid vote of ``tier``'s kind."""
        kind = TIER_KINDS[tier]
        messages: dict[int, bytes] = {}
        prefix = "" if tier == SUPERNODE_TIER else f"{tier} "
        valid: set[str] = set()
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
            key = keys.get((signer, bytes.fromhex(kid_hex)))
            if key is None:
                self._ignore(f"{label}: unknown key")
                continue
            if sig_round not in messages:
                messages[sig_round] = vote_message(
                    chain_id=self.chain_id,
                    tier=tier,
                    kind=kind,
                    height=height,
                    round=sig_round,
                    block_hash=digest,
                )
            try:
                key.verify(bytes.fromhex(sig_hex), messages[sig_round])
            except (InvalidSignature, ValueError):
                self._ignore(f"{label}: invalid signature")
                continue
            valid.add(signer)
        return valid

    def check_checkpoints(
        self, where: str, sizes: Mapping[str, tuple[int, bytes]], checkpoints: Mapping[str, Any]
    ) -> None:
        """Each registry's signed checkpoint must state the block's size and root."""
        for name in sorted(checkpoints):
            if name not in self.registries:
                fail(f"{where}: checkpoint for registry {name!r} not listed in the bundle header")
        for name, (size, root) in sizes.items():
            cp_where = f"{where}: checkpoint for {name}"
            note = checkpoints.get(name)
            if note is None:
                fail(f"{cp_where}: missing")
            if not isinstance(note, str):
                fail(f"{cp_where}: malformed note (not a string)")
            try:
                opened = notes.open_note(note, self.checkpoint_keys)
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

    def _ignore(self, description: str) -> None:
        report = self.report
        report.ignored_signatures += 1
        if len(report.ignored_samples) < MAX_SAMPLES:
            report.ignored_samples.append(description)
