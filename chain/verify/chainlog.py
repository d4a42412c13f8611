"""The chain's own log (registry ``consensus``): entries that must prove themselves.

An equivocation record carries two signed votes; a key rotation (the format
before ADR 0044) and a membership change carry a supernode certificate. Each
is checked when its entry is read, against the member keys of its height;
membership changes are replayed by :class:`chain.memberlog.MemberLog`, the
same code the registry host records them with, and the header's member
history must be the one they certify.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature

from chain import notes
from chain.certificates import Signature, count_certificate, quorum_at
from chain.encoding import ZERO_HASH, canonical, vote_message
from chain.memberlog import MemberLogError
from chain.protocol import CHAIN_LOG, EVIDENCE_TOPIC, MEMBERSHIP_TOPIC, ROTATE_TOPIC, SUPERNODE_TIER
from chain.verify.certificates import HEX, Certificates
from chain.verify.records import EntryRow, fail, get, get_hex, get_int
from chain.verify.report import Report

__all__ = ["ChainLog"]


class ChainLog:
    """Checks of the chain log's entries, fed in log order by :meth:`check`."""

    def __init__(self, certificates: Certificates) -> None:
        self.certificates = certificates
        self.members = certificates.members

    @property
    def report(self) -> Report:
        """The verification's report, where the checked entries are described."""
        return self.certificates.report

    def check(self, row: EntryRow) -> None:
        """Check ``row`` if it is an evidence, rotation or membership entry."""
        if row.registry != CHAIN_LOG:
            return
        if row.topic == EVIDENCE_TOPIC:
            self._check_evidence(row)
        elif row.topic == ROTATE_TOPIC:
            self._check_rotation(row)
        elif row.topic == MEMBERSHIP_TOPIC:
            self._check_membership(row)

    def finish(self) -> None:
        """The ranges the header states must be the ones the membership entries certify.

        The blocks were checked with the history the entries certify; the
        header's lists are only a cross-check (a header without heights, or
        with some, is matched on what it states).
        """
        report = self.report
        listed = self.certificates.listed
        if not (self.members.started and listed and report.anchor_height is None):
            return
        problem = self.members.compare(
            listed, complete=self.certificates.complete, horizon=report.last_height
        )
        if problem is not None:
            fail(problem)
        report.history_checked = True

    def _check_membership(self, row: EntryRow) -> None:
        """A certified membership change: replayed on the member lists of the entries
        before it, its certificate checked against the supernodes valid at its height."""
        try:
            record = json.loads(row.payload)
        except ValueError:
            fail(f"{row.where}: membership change payload is not JSON")
        if not isinstance(record, Mapping):
            fail(f"{row.where}: membership change is not an object")
        change = record.get("change")
        kind = change.get("type") if isinstance(change, Mapping) else None
        if self.report.anchor_height is not None and not self.members.started and kind != "genesis":
            # A range bundle lacks the entries before its anchor: the member
            # lists this change applies to are unknown here.
            self.report.membership_unchecked += 1
            return
        before = self.members.history()
        first = not self.members.started
        last = self.report.last_height
        # A bundle puts the entries a block adds right before it (§7), so the
        # block sealing this one is the next; an entry after the last block
        # is sealed by the next one at the earliest (the host's rule too).
        sealing = (last or 0) + 1
        try:
            description = self.members.apply(record, row.where, sealed_at=sealing)
        except MemberLogError as exc:
            fail(f"{row.where}: {exc}")
        except notes.NoteError as exc:
            fail(f"{row.where}: malformed membership change ({exc})")
        start = record["from_height"] if kind == "genesis" else self.members.last_start
        if last is not None and start <= last and self.members.history() != before:
            if not first:
                # The blocks from ``start`` were already checked without this
                # change: the host records a change before the block it applies to.
                fail(
                    f"{row.where}: {kind} takes effect from block {start}, but follows block {last}"
                )
            self._check_adopted(row.where, start, last)
        listed = self.certificates.listed
        if listed and self.report.anchor_height is None:
            problem = self.members.compare_change(
                listed, before, complete=self.certificates.complete, horizon=last or 0
            )
            if problem is not None:
                fail(problem)
        self.report.membership.append(description)

    def _check_adopted(self, where: str, start: int, last: int) -> None:
        """A first genesis read after blocks it covers (a chain whose membership
        was recorded after its first blocks): blocks ``start .. last`` were
        checked with the header's supernode keys, so those must be exactly the
        keys it certifies, and the quorum they were held to at least its own."""
        certificates = self.certificates
        if certificates.trusted:
            return
        certified = self.members.keys_at(SUPERNODE_TIER, start)
        used = {
            ref: public
            for ref, public in certificates.checkpoint_keys.items()
            if not certificates.history
            or any(
                begin <= last and (end is None or end >= start)
                for begin, end in certificates.spans.get((SUPERNODE_TIER, *ref), [(1, None)])
            )
        }
        for name, kid in sorted(used.keys() ^ certified.keys()):
            fail(
                f"{where}: the genesis covers blocks {start}..{last}, checked before it with "
                f"the header's supernode keys, but {name}+{kid.hex()} is "
                + ("not certified by it" if (name, kid) in used else "not in the header")
            )
        if not (certificates.history or certificates.fixed_quorum):
            needed = quorum_at(certified)
            if self.report.quorum < needed:
                fail(
                    f"{where}: the genesis covers blocks {start}..{last}, checked before it "
                    f"with the header's quorum {self.report.quorum}, below its {needed}"
                )

    def _check_rotation(self, row: EntryRow) -> None:
        """A key rotation entry: certified by a quorum of the supernodes of the
        height before it takes effect, and matching the header's member history."""
        where = f"{row.where}: key rotation"
        try:
            record = json.loads(row.payload)
        except ValueError:
            fail(f"{where}: payload is not JSON")
        if not isinstance(record, Mapping):
            fail(f"{where}: not an object")
        change = {k: v for k, v in record.items() if k != "certificate"}
        certificate: list[Any] = get(record, "certificate", list, where)
        name = get(change, "name", str, where)
        new_kid = get_hex(change, "key_id", where, size=4)
        from_height = get_int(change, "from_height", where, minimum=1)
        chain_id = self.certificates.chain_id
        if change.get("chain_id") != chain_id or change.get("tier") != SUPERNODE_TIER:
            fail(f"{where}: not a supernode rotation of this chain")
        keys = self.certificates.keys_at(SUPERNODE_TIER, from_height - 1)
        message = canonical(change)
        signatures = []
        for item in certificate:
            if not isinstance(item, Mapping) or item.get("alg") != "ed25519":
                continue
            signer, kid_hex, sig_hex = item.get("signer"), item.get("key_id"), item.get("signature")
            if (
                isinstance(signer, str)
                and isinstance(kid_hex, str)
                and isinstance(sig_hex, str)
                and HEX.fullmatch(kid_hex)
                and HEX.fullmatch(sig_hex)
            ):
                # The format before ADR 0044 signs the change itself, in no round.
                signatures.append(
                    Signature(signer, bytes.fromhex(kid_hex), 0, bytes.fromhex(sig_hex))
                )
        signers = count_certificate(signatures, keys, lambda _: message, fixed_round=0).signers
        needed = self.certificates.threshold_at(SUPERNODE_TIER, from_height - 1, keys)
        if len(signers) < max(needed, 1):
            fail(f"{where}: {len(signers)} valid supernode signatures, {needed} needed")
        if self.certificates.history:
            spans = self.certificates.listed.get((SUPERNODE_TIER, name, new_kid), [])
            if not any(span[0] == from_height for span in spans):
                fail(f"{where}: the header does not list {name}+{new_kid.hex()} from {from_height}")
        self.report.rotations.append(
            f"supernode {name} to key {new_kid.hex()} from block {from_height} ({row.where})"
        )

    def _check_evidence(self, row: EntryRow) -> None:
        """An equivocation entry must prove itself: two votes of one member,
        one slot, two blocks, both signatures valid under the member's key."""
        where = f"{row.where}: evidence"
        try:
            record = json.loads(row.payload)
        except ValueError:
            fail(f"{where}: payload is not JSON")
        if not isinstance(record, Mapping) or record.get("kind") != "equivocation":
            fail(f"{where}: not an equivocation record")
        votes = [record.get("vote"), record.get("conflicting")]
        slots = set()
        blocks = set()
        for number, vote in enumerate(votes, start=1):
            vote_where = f"{where}: vote {number}"
            if not isinstance(vote, Mapping):
                fail(f"{vote_where}: malformed (not an object)")
            chain_id = get(vote, "chain_id", str, vote_where)
            tier = get(vote, "tier", str, vote_where)
            kind = get(vote, "kind", str, vote_where)
            height = get_int(vote, "height", vote_where)
            vote_round = get_int(vote, "round", vote_where)
            signer = get(vote, "signer", str, vote_where)
            digest = (
                ZERO_HASH
                if vote.get("block_hash") is None
                else get_hex(vote, "block_hash", vote_where)
            )
            key_id = get_hex(vote, "key_id", vote_where, size=4)
            signature = get_hex(vote, "signature", vote_where, size=64)
            if chain_id != self.certificates.chain_id:
                fail(f"{vote_where}: signed for chain {chain_id!r}")
            if vote.get("alg") != "ed25519":
                fail(f"{vote_where}: unsupported alg {vote.get('alg')!r}")
            key = self.certificates.keys_at(tier, height).get((signer, key_id))
            if key is None:
                fail(
                    f"{vote_where}: {tier} {signer}+{key_id.hex()} is not a listed key "
                    f"at height {height}"
                )
            message = vote_message(
                chain_id=chain_id,
                tier=tier,
                kind=kind,
                height=height,
                round=vote_round,
                block_hash=digest,
            )
            try:
                key.verify(signature, message)
            except InvalidSignature:
                fail(f"{vote_where}: invalid signature by {signer}")
            slots.add((tier, kind, height, vote_round, signer))
            blocks.add(digest)
        if len(slots) != 1 or len(blocks) != 2:
            fail(f"{where}: the two votes do not fill one slot with different blocks")
        ((tier, kind, height, vote_round, signer),) = slots
        self.report.evidence.append(
            f"{tier} {signer} {kind} at height {height} round {vote_round} ({row.where})"
        )
