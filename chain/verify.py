"""Standalone chain verifier: ``python -m chain.verify BUNDLE`` or ``RECEIPT``.

Standard library and ``cryptography`` only; imports the pure modules
``chain.encoding``, ``chain.memberlog``, ``chain.merkle`` and ``chain.notes`` and
never Django, so an auditor can run it on an exported bundle without the application.

The checking itself is the streaming class :class:`ChainVerifier`, fed record
by record (``start(header)``, then ``entry(record)`` / ``block(record)`` in
bundle order, then ``finish()``). The bundle reader below feeds it from a
JSON Lines file; ``manage.py chain verify`` feeds it the same records straight
from the database. It keeps constant memory: per registry one Merkle frontier
(O(log n) hashes), the last entry hash and counters.

It raises :class:`VerificationFailure` at the first bad item, naming it, e.g.
``registry business seq 1234: payload hash mismatch`` or
``block 57: missing supernode quorum (1 of 3 valid signatures)``.
The bundle format and every check are written down in docs/chain-format.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import notes, protocol
from chain.encoding import (
    ZERO_HASH,
    NotCanonicalError,
    block_hash,
    canonical,
    entry_hash,
    entry_leaf,
    vote_message,
)
from chain.memberlog import MemberLog, MemberLogError
from chain.merkle import EMPTY_ROOT, MerkleFrontier, leaf_hash, verify_inclusion
from chain.protocol import (
    CHAIN_LOG,
    CITIZEN_TIER,
    COSIGN_KIND,
    EVIDENCE_TOPIC,
    FINALIZE_KIND,
    MEMBERSHIP_TOPIC,
    PRECOMMIT_KIND,
    ROTATE_TOPIC,
    SUPERNODE_TIER,
    WITNESS_TIER,
)

__all__ = [
    "BUNDLE_FORMAT",
    "PAYLOADS_OMITTED",
    "RECEIPT_FORMAT",
    "BundleFormatError",
    "ChainVerifier",
    "EntryRow",
    "RegistryReport",
    "Report",
    "VerificationFailure",
    "iter_bundle",
    "main",
    "read_trusted_keys",
    "verify_bundle",
    "verify_receipt",
    "verify_stream",
]

BUNDLE_FORMAT = "riik-bundle/1"
RECEIPT_FORMAT = "riik-receipt/1"
PAYLOADS_OMITTED = "omitted"
"""``"payloads"`` of a public bundle's header or a public receipt: the registry events'
payload bytes are left out (DESIGN §8), so their payload hashes cannot be re-hashed."""
OPTIONAL_TIERS = {
    # tier: (header list, header threshold, signature kind)
    WITNESS_TIER: ("witnesses", "witness_quorum", PRECOMMIT_KIND),
    CITIZEN_TIER: ("citizens", "citizen_threshold", COSIGN_KIND),
}
"""Tiers besides the supernodes a bundle may list; their certificates are optional."""
MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest bundle line accepted (a line holds one record and its payload)."""

_MAX_SAMPLES = 10
_HEX = re.compile(r"(?:[0-9a-f]{2})*")


class VerificationFailure(Exception):
    """The first bad item found; ``message`` names it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BundleFormatError(Exception):
    """The file is not a readable riik bundle (not UTF-8, not JSON, ...)."""


def _fail(message: str) -> NoReturn:
    raise VerificationFailure(message)


# --- report -----------------------------------------------------------------


class EntryRow(NamedTuple):
    """A ledger entry with typed fields: how the database feeds the verifier.

    A bundle's ``entry`` record holds the same fields, with bytes as hex.
    """

    registry: str
    seq: int
    originator_id: str
    originator_version: int
    topic: str
    recorded_at: str
    payload_hash: bytes
    prev_hash: bytes
    entry_hash: bytes
    payload: bytes

    @property
    def where(self) -> str:
        """How failure messages name this entry."""
        return f"registry {self.registry} seq {self.seq}"

    def record(self) -> dict[str, Any]:
        """The bundle's ``entry`` record (canonical() writes the bytes as hex)."""
        return {"type": "entry", **self._asdict()}


@dataclass
class RegistryReport:
    """What was verified of one registry log."""

    name: str
    entries: int = 0
    """Entries read and verified (hashes, chaining), sealed or not."""
    sealed_size: int = 0
    """Tree size committed by the last block."""
    sealed_root: bytes = EMPTY_ROOT
    """Merkle root at ``sealed_size``, checked against the recomputed tree."""
    head_hash: bytes = ZERO_HASH
    """``entry_hash`` of the last entry read."""

    @property
    def unsealed(self) -> int:
        return self.entries - self.sealed_size


@dataclass
class Report:
    """The result of a successful verification."""

    chain_id: str
    origin_prefix: str
    registries: dict[str, RegistryReport]
    supernodes: tuple[str, ...]
    quorum: int
    keys_from_bundle: bool
    blocks: int = 0
    first_height: int | None = None
    last_height: int | None = None
    last_block_hash: bytes | None = None
    ignored_signatures: int = 0
    """Unknown or invalid block signatures (never counted towards quorum)."""
    ignored_samples: list[str] = field(default_factory=list)
    """The first few ignored signatures, described."""
    unknown_checkpoint_signatures: int = 0
    """Checkpoint signature lines by keys that are not supernodes (e.g. witnesses)."""
    anchor_height: int | None = None
    """For a height-range bundle: the verified block it starts after."""
    anchored_entries: int = 0
    """Entries before the anchor (covered by its signed roots, not in the bundle)."""
    complete: bool = False
    """True when the bundle's end record was read and its counts matched."""
    tiers: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)
    """Other tiers listed in the header: ``witness``/``citizen`` -> (names, threshold)."""
    levels: dict[str, int] = field(default_factory=dict)
    """Blocks per level reached: ``final`` or ``witnessed``; ``committed`` counts the
    blocks that also carry a witness quorum."""
    level_runs: list[tuple[int, int, str]] = field(default_factory=list)
    """(first height, last height, level) of each run of blocks at one level."""
    evidence: list[str] = field(default_factory=list)
    """Equivocations proven by the chain log's evidence entries, described."""
    rotations: list[str] = field(default_factory=list)
    """Key rotations certified in the chain log (the format before ADR 0044), described."""
    membership: list[str] = field(default_factory=list)
    """Membership changes certified in the chain log, described."""
    membership_unchecked: int = 0
    """Membership changes of a range bundle whose member lists start before its anchor."""
    history_checked: bool = False
    """True when the header's member history was matched against the membership changes."""
    payloads_omitted: int = 0
    """Entries of a public bundle read without their payload (payload hash not re-hashed)."""

    @property
    def entries(self) -> int:
        return sum(log.entries for log in self.registries.values())

    def summary_lines(self) -> list[str]:
        keys = "keys from the bundle header" if self.keys_from_bundle else "trusted keys"
        lines = [
            f"chain {self.chain_id}: {len(self.registries)} registries, "
            f"{len(self.supernodes)} supernodes (quorum {self.quorum}, {keys})"
        ]
        if self.anchor_height is not None:
            lines.append(
                f"range: starts after block {self.anchor_height} (its hash, certificate, "
                f"checkpoints and frontiers verified; {self.anchored_entries} earlier entries "
                "covered by its signed roots)"
            )
        for name in sorted(self.registries):
            log = self.registries[name]
            line = (
                f"registry {name}: {log.entries} entries (payload hashes, entry hashes, "
                f"chaining) OK; tree size {log.sealed_size} root {log.sealed_root.hex()} "
                f"sealed in blocks"
            )
            if log.unsealed:
                line += f"; {log.unsealed} entries not yet in a block"
            lines.append(line)
        if self.blocks:
            lines.append(
                f"blocks {self.first_height}..{self.last_height}: {self.blocks} blocks (hashes, "
                "links, log sizes and roots, supernode quorum certificates, checkpoints) OK; "
                f"last block hash {self.last_block_hash.hex() if self.last_block_hash else '-'}"
            )
        else:
            lines.append("blocks: none")
        for tier, (names, threshold) in sorted(self.tiers.items()):
            lines.append(f"{tier} tier: {len(names)} members (threshold {threshold})")
        if self.level_runs:
            runs = ", ".join(
                f"{first}..{last} {level}" if first != last else f"{first} {level}"
                for first, last, level in self.level_runs
            )
            committed = self.levels.get("committed")
            lines.append(
                f"levels: {runs}"
                + ("" if committed is None else f"; {committed} blocks committed by the witnesses")
            )
        if self.evidence:
            lines.append(
                f"evidence: {len(self.evidence)} equivocations (both signed votes verified): "
                + "; ".join(self.evidence[:_MAX_SAMPLES])
            )
        if self.rotations:
            lines.append(
                f"membership: {len(self.rotations)} key rotations (certified by the "
                "supernodes of their height): " + "; ".join(self.rotations[:_MAX_SAMPLES])
            )
        if self.membership:
            lines.append(
                f"membership: {len(self.membership)} changes certified by a supernode quorum"
                + ("; the header's member history matches them" if self.history_checked else "")
                + ": "
                + "; ".join(self.membership[:_MAX_SAMPLES])
            )
        if self.membership_unchecked:
            lines.append(
                f"membership: {self.membership_unchecked} changes not checked (their member "
                "lists start before the range)"
            )
        if self.ignored_signatures:
            lines.append(
                f"ignored {self.ignored_signatures} unknown or invalid block signatures "
                "(not counted): " + "; ".join(self.ignored_samples)
            )
        if self.unknown_checkpoint_signatures:
            lines.append(
                f"{self.unknown_checkpoint_signatures} checkpoint signatures by keys other "
                "than the supernodes were not checked"
            )
        if self.payloads_omitted:
            lines.append(
                f"payloads: omitted from this public bundle; the payload hashes of "
                f"{self.payloads_omitted} entries were not re-hashed (their envelopes, entry "
                "hashes, chaining, roots and signatures were checked)"
            )
        lines.append(
            f"total: {self.entries} entries, {self.blocks} blocks"
            + ("" if self.complete else " (no end record checked)")
        )
        return lines


# --- record field helpers ---------------------------------------------------


def _get(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in record:
        _fail(f"{where}: malformed record (field {name!r} missing)")
    value = record[name]
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        _fail(f"{where}: malformed record (field {name!r} must be {names})")
    return value


def _get_int(record: Mapping[str, Any], name: str, where: str, minimum: int = 0) -> int:
    value: int = _get(record, name, int, where)
    if value < minimum:
        _fail(f"{where}: malformed record (field {name!r} must be >= {minimum})")
    return value


def _lowercase_hex(text: str) -> bytes | None:
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    return data if data.hex() == text else None


def _get_hex(record: Mapping[str, Any], name: str, where: str, size: int | None = 32) -> bytes:
    # Bytes come straight from the database (``manage.py chain verify``); a
    # bundle file carries lowercase hex, checked by a round trip, which is much
    # faster than a regular expression over a whole payload.
    value = record.get(name)
    data = value if isinstance(value, bytes) else _lowercase_hex(_get(record, name, str, where))
    if data is None:
        _fail(f"{where}: malformed record (field {name!r} must be lowercase hex)")
    if size is not None and len(data) != size:
        _fail(f"{where}: malformed record (field {name!r} must be {size} bytes)")
    return data


def _payloads_omitted(record: Mapping[str, Any], where: str) -> bool:
    """Whether a bundle header or receipt says it is public: payloads left out."""
    if "payloads" not in record:
        return False
    if record["payloads"] != PAYLOADS_OMITTED:
        _fail(f"{where}: malformed record (field 'payloads' must be {PAYLOADS_OMITTED!r})")
    return True


def _entry_row(
    record: Mapping[str, Any], registry: str, seq: int, where: str, *, public: bool = False
) -> EntryRow:
    """A ledger entry record of a bundle or receipt, checked field by field.

    In a ``public`` bundle or receipt an entry may come without its payload
    (then ``payload`` is empty and the caller does not re-hash it), except in
    the chain's own log, whose evidence and membership payloads are public
    and are needed to check them.
    """
    omitted = public and "payload" not in record and registry != CHAIN_LOG
    return EntryRow(
        registry=registry,
        seq=seq,
        originator_id=_get(record, "originator_id", str, where),
        originator_version=_get_int(record, "originator_version", where),
        topic=_get(record, "topic", str, where),
        recorded_at=_get(record, "recorded_at", str, where),
        payload_hash=_get_hex(record, "payload_hash", where),
        prev_hash=_get_hex(record, "prev_hash", where),
        entry_hash=_get_hex(record, "entry_hash", where),
        payload=b"" if omitted else _get_hex(record, "payload", where, size=None),
    )


def _key_range(node: Mapping[str, Any], where: str) -> tuple[int, int | None]:
    """A listed key's heights: ``from_height`` (default 1) to ``until_height`` (open)."""
    start = _get_int(node, "from_height", where, minimum=1) if "from_height" in node else 1
    until = node.get("until_height")
    if until is None:
        return start, None
    end = _get_int(node, "until_height", where, minimum=start - 1)
    return start, end


def _in_range(span: tuple[int, int | None], height: int) -> bool:
    start, end = span
    return start <= height and (end is None or height <= end)


def _disjoint(a: tuple[int, int | None], b: tuple[int, int | None]) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    return (a_end is not None and a_end < b_start) or (b_end is not None and b_end < a_start)


@dataclass
class _Log:
    report: RegistryReport
    frontier: MerkleFrontier = field(default_factory=MerkleFrontier)

    @property
    def next_seq(self) -> int:
        return self.report.entries + 1


# --- the verifier -----------------------------------------------------------


class ChainVerifier:
    """Streaming verifier of one chain: feed records in bundle order.

    ``trusted_keys``: C2SP verifier key strings of the supernodes to trust. When
    omitted, the supernode keys listed in the header are used (they are then
    only as trustworthy as the bundle itself). ``quorum``: override the number
    of distinct supernode signatures a block needs; by default the header's,
    raised to a majority of the trusted keys when trusted keys are given.
    ``on_block``: called with one line per verified block saying what was checked.
    """

    def __init__(
        self,
        trusted_keys: Iterable[str] | None = None,
        *,
        quorum: int | None = None,
        on_block: Callable[[str], None] | None = None,
    ) -> None:
        self._on_block = on_block
        self._trusted = None if trusted_keys is None else notes.known_keys(trusted_keys)
        self._quorum_override = quorum
        self._report: Report | None = None
        self._logs: dict[str, _Log] = {}
        self._keys: dict[tuple[str, bytes], Ed25519PublicKey] = {}
        self._known_raw: dict[tuple[str, bytes], bytes] = {}
        self._tier_keys: dict[str, dict[tuple[str, bytes], Ed25519PublicKey]] = {}
        self._ranges: dict[tuple[str, str, bytes], list[tuple[int, int | None]]] = {}
        self._members = MemberLog("")
        self._history = False
        self._origin_prefix = ""
        self._chain_id = ""
        self._ended = False
        self._entry_records = 0
        self._public = False

    # -- public API --

    @property
    def report(self) -> Report:
        """The report so far (valid after :meth:`start`)."""
        if self._report is None:
            raise RuntimeError("ChainVerifier.start() has not been called")
        return self._report

    def start(self, header: Mapping[str, Any]) -> None:
        """Check the bundle header and set up the per-registry state."""
        if self._report is not None:
            _fail("bundle: a second header record")
        where = "header"
        if header.get("format") != BUNDLE_FORMAT:
            found = header.get("format")
            _fail(f"header: unsupported format {found!r}, expected {BUNDLE_FORMAT!r}")
        chain_id: str = _get(header, "chain_id", str, where)
        origin_prefix: str = _get(header, "origin_prefix", str, where)
        if not origin_prefix:
            _fail("header: malformed record (field 'origin_prefix' is empty)")
        registries: list[Any] = _get(header, "registries", list, where)
        for registry in registries:
            if not isinstance(registry, str) or not registry:
                _fail("header: registry names must be non-empty strings")
        if len(set(registries)) != len(registries):
            _fail("header: registry names are not unique")
        supernodes: list[Any] = _get(header, "supernodes", list, where)
        quorum = _get_int(header, "quorum", where, minimum=1)
        self._public = _payloads_omitted(header, where)

        listed: dict[tuple[str, bytes], bytes] = {}
        ranges: dict[tuple[str, bytes], list[tuple[int, int | None]]] = {}
        for number, node in enumerate(supernodes, start=1):
            node_where = f"header: supernode {number}"
            if not isinstance(node, Mapping):
                _fail(f"{node_where}: malformed record (not an object)")
            name = _get(node, "name", str, node_where)
            public = _get_hex(node, "public_key", node_where)
            kid = _get_hex(node, "key_id", node_where, size=4)
            try:
                computed = notes.key_id(name, public)
            except notes.NoteError as exc:
                _fail(f"{node_where}: {exc}")
            if computed != kid:
                _fail(f"header: supernode {name} key_id {kid.hex()} does not match its public key")
            span = _key_range(node, node_where)
            for (known_name, _), known_spans in ranges.items():
                if known_name == name and not all(_disjoint(span, k) for k in known_spans):
                    _fail(f"header: supernode {name} is listed twice")
            listed[(name, kid)] = public
            ranges.setdefault((name, kid), []).append(span)
        current = len({name for name, _ in listed})
        if listed and quorum > current:
            _fail(f"header: quorum {quorum} exceeds the {current} supernodes listed")
        if quorum < current // 2 + 1:
            _fail(f"header: quorum {quorum} is not a majority of {current} supernodes")

        if self._trusted is None:
            known = listed
        else:
            known = dict(self._trusted)
            quorum = max(quorum, protocol.quorum(len({name for name, _ in known})))
        if self._quorum_override is not None:
            quorum = self._quorum_override
        self._known_raw = known
        # Member history (each key's height range) applies to the keys from
        # the bundle; trusted keys given by the auditor are valid everywhere.
        self._history = self._trusted is None and any(
            "from_height" in node for node in supernodes if isinstance(node, Mapping)
        )
        self._ranges = {("supernode", name, kid): spans for (name, kid), spans in ranges.items()}
        try:
            self._keys = {k: Ed25519PublicKey.from_public_bytes(v) for k, v in known.items()}
        except ValueError as exc:
            _fail(f"header: a supernode public key is not a valid Ed25519 key ({exc})")
        tiers = {}
        for tier, (list_key, threshold_key, _) in OPTIONAL_TIERS.items():
            if list_key in header:
                tiers[tier] = self._tier(header, tier, list_key, threshold_key)
        self._tier_keys = {tier: keys for tier, (keys, _) in tiers.items()}
        self._chain_id = chain_id
        self._members = MemberLog(chain_id)
        self._origin_prefix = origin_prefix
        self._logs = {name: _Log(RegistryReport(name)) for name in sorted(registries)}
        self._report = Report(
            chain_id=chain_id,
            origin_prefix=origin_prefix,
            registries={name: log.report for name, log in self._logs.items()},
            supernodes=tuple(sorted({name for name, _ in known})),
            quorum=quorum,
            keys_from_bundle=self._trusted is None,
            tiers={
                tier: (tuple(sorted({name for name, _ in keys})), threshold)
                for tier, (keys, threshold) in tiers.items()
            },
        )
        if "anchor" in header:
            self._start_at_anchor(header)

    def _start_at_anchor(self, header: Mapping[str, Any]) -> None:
        """A height-range bundle: start from the signed block before ``from_height``.

        The anchor block's hash, supernode certificate and checkpoints are
        verified like any block's; each registry's frontier (the hashes of the
        perfect subtrees at the anchor's size) must fold to the root that block
        signed, so the entries that follow are checked against signed roots.
        """
        report = self.report
        from_height = _get_int(header, "from_height", "header", minimum=2)
        anchor: Mapping[str, Any] = _get(header, "anchor", Mapping, "header")
        record: Mapping[str, Any] = _get(anchor, "block", Mapping, "header: anchor")
        logs: Mapping[str, Any] = _get(anchor, "logs", Mapping, "header: anchor")
        block_header: Mapping[str, Any] = _get(record, "header", Mapping, "header: anchor")
        height = _get_int(block_header, "height", "header: anchor", minimum=1)
        where = f"anchor block {height}"
        if height != from_height - 1:
            _fail(f"{where}: expected height {from_height - 1} (from_height - 1)")
        if _get(block_header, "chain_id", str, where) != self._chain_id:
            _fail(f"{where}: chain_id is not the bundle's {self._chain_id!r}")
        try:
            digest = block_hash(block_header)
        except NotCanonicalError as exc:
            _fail(f"{where}: malformed header ({exc})")
        if digest != _get_hex(record, "block_hash", where):
            _fail(f"{where}: block hash mismatch")
        signed_logs: Mapping[str, Any] = _get(block_header, "logs", Mapping, where)
        sizes: dict[str, tuple[int, bytes]] = {}
        for name, log in self._logs.items():
            log_where = f"{where}: registry {name}"
            signed = signed_logs.get(name)
            state = logs.get(name)
            if not isinstance(signed, Mapping) or not isinstance(state, Mapping):
                _fail(f"{log_where}: missing")
            size = _get_int(signed, "size", log_where)
            root = _get_hex(signed, "root", log_where)
            if _get_int(state, "size", log_where) != size:
                _fail(f"{log_where}: anchor size is not the block's {size}")
            hashes: list[Any] = _get(state, "frontier", list, log_where)
            try:
                frontier = MerkleFrontier(
                    size, [_get_hex({"h": value}, "h", log_where) for value in hashes]
                )
            except ValueError as exc:
                _fail(f"{log_where}: malformed frontier ({exc})")
            if frontier.root() != root:
                _fail(f"{log_where}: frontier does not fold to the signed root")
            log.frontier = frontier
            log.report.entries = log.report.sealed_size = size
            log.report.sealed_root = root
            log.report.head_hash = _get_hex(state, "entry_hash", log_where)
            sizes[name] = (size, root)
        vote_round = _get_int(record, "round", where)
        self._check_certificate(
            where, height, vote_round, digest, _get(record, "certificate", list, where)
        )
        self._check_checkpoints(where, sizes, _get(record, "checkpoints", Mapping, where))
        report.anchor_height = height
        report.anchored_entries = sum(size for size, _ in sizes.values())
        report.last_height = height
        report.last_block_hash = digest

    def _tier(
        self, header: Mapping[str, Any], tier: str, list_key: str, threshold_key: str
    ) -> tuple[dict[tuple[str, bytes], Ed25519PublicKey], int]:
        """The keys and threshold of an optional tier listed in the header."""
        members: list[Any] = _get(header, list_key, list, "header")
        threshold = _get_int(header, threshold_key, "header", minimum=1)
        keys: dict[tuple[str, bytes], Ed25519PublicKey] = {}
        names: set[str] = set()
        for number, node in enumerate(members, start=1):
            node_where = f"header: {tier} {number}"
            if not isinstance(node, Mapping):
                _fail(f"{node_where}: malformed record (not an object)")
            name = _get(node, "name", str, node_where)
            public = _get_hex(node, "public_key", node_where)
            kid = _get_hex(node, "key_id", node_where, size=4)
            try:
                computed = notes.key_id(name, public)
            except notes.NoteError as exc:
                _fail(f"{node_where}: {exc}")
            if computed != kid:
                _fail(f"header: {tier} {name} key_id {kid.hex()} does not match its public key")
            span = _key_range(node, node_where)
            for (known_tier, known_name, _), known_spans in self._ranges.items():
                if (known_tier, known_name) == (tier, name) and not all(
                    _disjoint(span, known) for known in known_spans
                ):
                    _fail(f"header: {tier} {name} is listed twice")
            self._ranges.setdefault((tier, name, kid), []).append(span)
            names.add(name)
            try:
                keys[(name, kid)] = Ed25519PublicKey.from_public_bytes(public)
            except ValueError as exc:
                _fail(f"header: {tier} {name} public key is not a valid Ed25519 key ({exc})")
        if threshold > len(names):
            _fail(f"header: {threshold_key} {threshold} exceeds the {len(names)} {list_key} listed")
        return keys, threshold

    def feed(self, record: Mapping[str, Any] | EntryRow) -> None:
        """Dispatch a record on its ``type`` (header, entry, block or end)."""
        if isinstance(record, EntryRow):
            self.entry_row(record)
            return
        kind = record.get("type")
        if kind == "header":
            self.start(record)
        elif kind == "entry":
            self.entry(record)
        elif kind == "block":
            self.block(record)
        elif kind == "end":
            self.end(record)
        else:
            _fail(f"bundle: unknown record type {kind!r}")

    def entry(self, record: Mapping[str, Any]) -> None:
        """Verify one ledger entry record and add it to its registry's tree."""
        self._check_open()
        self._entry_records += 1
        registry = record.get("registry")
        seq = record.get("seq")
        if isinstance(registry, str) and isinstance(seq, int) and not isinstance(seq, bool):
            where = f"registry {registry} seq {seq}"
        else:
            where = f"entry record {self._entry_records}"
            _get(record, "registry", str, where)
            _get(record, "seq", int, where)
        assert isinstance(registry, str)
        assert isinstance(seq, int)
        row = _entry_row(record, registry, seq, where, public=self._public)
        self._check_entry(row, rehash="payload" in record)

    def entry_row(self, row: EntryRow) -> None:
        """Verify an entry already typed by its source (the database)."""
        self._check_open()
        self._entry_records += 1
        self._check_entry(row)

    def _check_entry(self, row: EntryRow, *, rehash: bool = True) -> None:
        log = self._logs.get(row.registry)
        if log is None:
            _fail(f"{row.where}: registry not listed in the bundle header")
        if row.seq != log.next_seq:
            _fail(f"{row.where}: expected seq {log.next_seq}")
        if not rehash:
            self.report.payloads_omitted += 1
        elif hashlib.sha256(row.payload).digest() != row.payload_hash:
            _fail(f"{row.where}: payload hash mismatch")
        leaf = entry_leaf(
            registry=row.registry,
            seq=row.seq,
            originator_id=row.originator_id,
            originator_version=row.originator_version,
            topic=row.topic,
            recorded_at=row.recorded_at,
            payload_hash=row.payload_hash,
        )
        computed = entry_hash(row.prev_hash, leaf)
        if computed != row.entry_hash:
            _fail(f"{row.where}: entry hash mismatch")
        if row.prev_hash != log.report.head_hash:
            if row.seq == 1:
                _fail(f"{row.where}: prev_hash of the first entry must be zero")
            _fail(f"{row.where}: prev_hash does not match entry {row.seq - 1}")

        if row.registry == CHAIN_LOG and row.topic == EVIDENCE_TOPIC:
            self._check_evidence(row)
        elif row.registry == CHAIN_LOG and row.topic == ROTATE_TOPIC:
            self._check_rotation(row)
        elif row.registry == CHAIN_LOG and row.topic == MEMBERSHIP_TOPIC:
            self._check_membership(row)
        log.frontier.append(leaf_hash(leaf))
        log.report.entries = row.seq
        log.report.head_hash = computed

    def _check_membership(self, row: EntryRow) -> None:
        """A certified membership change: replayed on the member lists of the entries
        before it, its certificate checked against the supernodes valid at its height."""
        try:
            record = json.loads(row.payload)
        except ValueError:
            _fail(f"{row.where}: membership change payload is not JSON")
        if not isinstance(record, Mapping):
            _fail(f"{row.where}: membership change is not an object")
        change = record.get("change")
        kind = change.get("type") if isinstance(change, Mapping) else None
        if (
            self.report.anchor_height is not None
            and not self._members.started
            and kind != "genesis"
        ):
            # A range bundle lacks the entries before its anchor: the member
            # lists this change applies to are unknown here.
            self.report.membership_unchecked += 1
            return
        before = self._members.history()
        try:
            description = self._members.apply(record, row.where)
        except MemberLogError as exc:
            _fail(f"{row.where}: {exc}")
        except notes.NoteError as exc:
            _fail(f"{row.where}: malformed membership change ({exc})")
        if self._history and self.report.anchor_height is None:
            problem = self._members.compare_change(self._ranges, before)
            if problem is not None:
                _fail(problem)
        self.report.membership.append(description)

    def _check_member_history(self) -> None:
        """The header's member history must be the one the membership entries certify."""
        report = self.report
        if not (self._members.started and self._history and report.anchor_height is None):
            return
        problem = self._members.compare(self._ranges)
        if problem is not None:
            _fail(problem)
        report.history_checked = True

    def _check_rotation(self, row: EntryRow) -> None:
        """A key rotation entry: certified by a quorum of the supernodes of the
        height before it takes effect, and matching the header's member history."""
        where = f"{row.where}: key rotation"
        try:
            record = json.loads(row.payload)
        except ValueError:
            _fail(f"{where}: payload is not JSON")
        if not isinstance(record, Mapping):
            _fail(f"{where}: not an object")
        change = {k: v for k, v in record.items() if k != "certificate"}
        certificate: list[Any] = _get(record, "certificate", list, where)
        name = _get(change, "name", str, where)
        new_kid = _get_hex(change, "key_id", where, size=4)
        from_height = _get_int(change, "from_height", where, minimum=1)
        if change.get("chain_id") != self._chain_id or change.get("tier") != SUPERNODE_TIER:
            _fail(f"{where}: not a supernode rotation of this chain")
        keys = self._keys_at(SUPERNODE_TIER, self._keys, from_height - 1)
        message = canonical(change)
        signers = set()
        for item in certificate:
            if not isinstance(item, Mapping) or item.get("alg") != "ed25519":
                continue
            signer, kid_hex, sig_hex = item.get("signer"), item.get("key_id"), item.get("signature")
            if not (
                isinstance(signer, str) and isinstance(kid_hex, str) and isinstance(sig_hex, str)
            ):
                continue
            key = keys.get((signer, bytes.fromhex(kid_hex))) if _HEX.fullmatch(kid_hex) else None
            if key is None or not _HEX.fullmatch(sig_hex):
                continue
            try:
                key.verify(bytes.fromhex(sig_hex), message)
            except InvalidSignature:
                continue
            signers.add(signer)
        needed = protocol.quorum(len({n for n, _ in keys})) if self._history else self.report.quorum
        if len(signers) < max(needed, 1):
            _fail(f"{where}: {len(signers)} valid supernode signatures, {needed} needed")
        if self._history:
            spans = self._ranges.get((SUPERNODE_TIER, name, new_kid), [])
            if not any(span[0] == from_height for span in spans):
                _fail(
                    f"{where}: the header does not list {name}+{new_kid.hex()} from {from_height}"
                )
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
            _fail(f"{where}: payload is not JSON")
        if not isinstance(record, Mapping) or record.get("kind") != "equivocation":
            _fail(f"{where}: not an equivocation record")
        votes = [record.get("vote"), record.get("conflicting")]
        slots = set()
        blocks = set()
        for number, vote in enumerate(votes, start=1):
            vote_where = f"{where}: vote {number}"
            if not isinstance(vote, Mapping):
                _fail(f"{vote_where}: malformed (not an object)")
            chain_id = _get(vote, "chain_id", str, vote_where)
            tier = _get(vote, "tier", str, vote_where)
            kind = _get(vote, "kind", str, vote_where)
            height = _get_int(vote, "height", vote_where)
            vote_round = _get_int(vote, "round", vote_where)
            signer = _get(vote, "signer", str, vote_where)
            digest = (
                ZERO_HASH
                if vote.get("block_hash") is None
                else _get_hex(vote, "block_hash", vote_where)
            )
            key_id = _get_hex(vote, "key_id", vote_where, size=4)
            signature = _get_hex(vote, "signature", vote_where, size=64)
            if chain_id != self._chain_id:
                _fail(f"{vote_where}: signed for chain {chain_id!r}")
            if vote.get("alg") != "ed25519":
                _fail(f"{vote_where}: unsupported alg {vote.get('alg')!r}")
            keys = self._keys if tier == SUPERNODE_TIER else self._tier_keys.get(tier, {})
            key = self._keys_at(tier, keys, height).get((signer, key_id))
            if key is None:
                _fail(
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
                _fail(f"{vote_where}: invalid signature by {signer}")
            slots.add((tier, kind, height, vote_round, signer))
            blocks.add(digest)
        if len(slots) != 1 or len(blocks) != 2:
            _fail(f"{where}: the two votes do not fill one slot with different blocks")
        ((tier, kind, height, vote_round, signer),) = slots
        self.report.evidence.append(
            f"{tier} {signer} {kind} at height {height} round {vote_round} ({row.where})"
        )

    def block(self, record: Mapping[str, Any]) -> None:
        """Verify a block: header, hash, link, log roots, quorum and checkpoints."""
        self._check_open()
        report = self.report
        header_value = record.get("header")
        expected_height = (report.last_height or 0) + 1
        if not isinstance(header_value, Mapping):
            _fail(f"block record {report.blocks + 1}: malformed record (field 'header' missing)")
        header: Mapping[str, Any] = header_value
        height = header.get("height")
        if not isinstance(height, int) or isinstance(height, bool):
            _fail(f"block record {report.blocks + 1}: malformed record (header height missing)")
        where = f"block {height}"
        if height != expected_height:
            _fail(f"{where}: expected height {expected_height}")

        chain_id: str = _get(header, "chain_id", str, where)
        if chain_id != self._chain_id:
            _fail(f"{where}: chain_id {chain_id!r} is not the bundle's {self._chain_id!r}")
        prev_hash = _get_hex(header, "prev_hash", where)
        _get(header, "sealed_at", str, where)
        _get(header, "proposer", str, where)
        logs: Mapping[str, Any] = _get(header, "logs", Mapping, where)
        claimed_hash = _get_hex(record, "block_hash", where)
        vote_round = _get_int(record, "round", where)
        certificate: list[Any] = _get(record, "certificate", list, where)
        checkpoints: Mapping[str, Any] = _get(record, "checkpoints", Mapping, where)

        try:
            computed_hash = block_hash(header)
        except NotCanonicalError as exc:
            _fail(f"{where}: malformed header ({exc})")
        if computed_hash != claimed_hash:
            _fail(f"{where}: block hash mismatch")
        if prev_hash != (report.last_block_hash or ZERO_HASH):
            if height == 1:
                _fail(f"{where}: prev_hash of the first block must be zero")
            _fail(f"{where}: prev_hash does not match block {height - 1}")

        sizes: dict[str, tuple[int, bytes]] = {}
        for name in sorted(logs):
            if name not in self._logs:
                _fail(f"{where}: logs name registry {name!r} not listed in the bundle header")
        for name, log in self._logs.items():
            if name not in logs and log.report.entries == 0:
                # A log added later (the chain log): blocks sealed before it
                # existed do not name it, and it had nothing to commit to.
                continue
            if name not in logs:
                _fail(f"{where}: logs do not name registry {name}")
            entry_where = f"{where}: registry {name}"
            item = logs[name]
            if not isinstance(item, Mapping):
                _fail(f"{entry_where}: malformed log entry (not an object)")
            size = _get_int(item, "size", entry_where)
            root = _get_hex(item, "root", entry_where)
            if size < log.report.sealed_size:
                _fail(
                    f"{entry_where} size {size} is below block {height - 1}'s "
                    f"{log.report.sealed_size}"
                )
            if size > log.report.entries:
                _fail(f"{entry_where} size {size} but only {log.report.entries} entries")
            if size < log.report.entries:
                _fail(f"{entry_where} size {size} but {log.report.entries} entries precede it")
            if log.frontier.root() != root:
                _fail(f"{entry_where} root mismatch at size {size}")
            sizes[name] = (size, root)

        signed = self._check_certificate(where, height, vote_round, computed_hash, certificate)
        self._check_checkpoints(where, sizes, checkpoints)
        level = "final"
        tier_counts: list[str] = []
        for tier, keys in self._tier_keys.items():
            _, _, kind = OPTIONAL_TIERS[tier]
            tier_certificate: list[Any] = (
                _get(record, f"{tier}_certificate", list, where)
                if f"{tier}_certificate" in record
                else []
            )
            keys_now = self._keys_at(tier, keys, height)
            valid = self._valid_signers(
                where, tier, kind, height, vote_round, computed_hash, tier_certificate, keys_now
            )
            tier_counts.append(f"{len(valid)} {tier}")
            threshold = report.tiers[tier][1]
            if self._history and tier == WITNESS_TIER:
                threshold = protocol.quorum(len({name for name, _ in keys_now}))
            if keys_now and len(valid) >= threshold:
                if tier == WITNESS_TIER:
                    report.levels["committed"] = report.levels.get("committed", 0) + 1
                else:
                    level = "witnessed"
        report.levels[level] = report.levels.get(level, 0) + 1
        if report.level_runs and report.level_runs[-1][2] == level:
            first, _, _ = report.level_runs[-1]
            report.level_runs[-1] = (first, height, level)
        else:
            report.level_runs.append((height, height, level))

        for name, (size, root) in sizes.items():
            self._logs[name].report.sealed_size = size
            self._logs[name].report.sealed_root = root
        if report.first_height is None:
            report.first_height = height
        report.last_height = height
        report.last_block_hash = computed_hash
        report.blocks += 1
        if self._on_block is not None:
            logs_text = ", ".join(f"{name} {size}" for name, (size, _) in sizes.items())
            self._on_block(
                f"block {height}: {level}; hash, link, roots ({logs_text}), checkpoints and "
                f"{signed} supernode signatures OK"
                + (f"; {', '.join(tier_counts)} signatures" if tier_counts else "")
            )

    def end(self, record: Mapping[str, Any]) -> None:
        """Check the end record's counts against what was read."""
        self._check_open()
        report = self.report
        entries = _get_int(record, "entries", "bundle: end record")
        blocks = _get_int(record, "blocks", "bundle: end record")
        held = report.entries - report.anchored_entries
        if entries != held or blocks != report.blocks:
            _fail(
                f"bundle: end record counts {entries} entries and {blocks} blocks, "
                f"but the bundle holds {held} entries and {report.blocks} blocks"
            )
        self._ended = True
        report.complete = True

    def finish(self, *, require_end: bool = False) -> Report:
        """Return the report; with ``require_end``, fail if no end record was fed."""
        report = self.report
        if require_end and not self._ended:
            _fail("bundle: truncated (no end record)")
        self._check_member_history()
        return report

    # -- internals --

    def _check_open(self) -> None:
        if self._report is None:
            _fail("bundle: records before the header")
        if self._ended:
            _fail("bundle: record after the end record")

    def _ignore(self, description: str) -> None:
        report = self.report
        report.ignored_signatures += 1
        if len(report.ignored_samples) < _MAX_SAMPLES:
            report.ignored_samples.append(description)

    def _check_certificate(
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
        keys = self._keys_at(SUPERNODE_TIER, self._keys, height)
        valid = self._valid_signers(
            where,
            SUPERNODE_TIER,
            FINALIZE_KIND,
            height,
            vote_round,
            digest,
            certificate,
            keys,
        )
        quorum = self.report.quorum
        if self._history and self._quorum_override is None:
            quorum = protocol.quorum(len({name for name, _ in keys}))
        if len(valid) < quorum:
            _fail(f"{where}: missing supernode quorum ({len(valid)} of {quorum} valid signatures)")
        return len(valid)

    def _keys_at(
        self, tier: str, keys: Mapping[tuple[str, bytes], Ed25519PublicKey], height: int
    ) -> dict[tuple[str, bytes], Ed25519PublicKey]:
        """The keys of ``tier`` valid at ``height`` (all of them without a history)."""
        if not self._history:
            return dict(keys)
        return {
            (name, kid): key
            for (name, kid), key in keys.items()
            if any(
                _in_range(span, height) for span in self._ranges.get((tier, name, kid), [(1, None)])
            )
        }

    def _valid_signers(
        self,
        where: str,
        tier: str,
        kind: str,
        height: int,
        vote_round: int,
        digest: bytes,
        certificate: Sequence[Any],
        keys: Mapping[tuple[str, bytes], Ed25519PublicKey],
    ) -> set[str]:
        """Distinct signers of ``certificate`` with a valid ``tier``/``kind`` vote."""
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
                and _HEX.fullmatch(sig_hex)
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
                    chain_id=self._chain_id,
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

    def _check_checkpoints(
        self, where: str, sizes: Mapping[str, tuple[int, bytes]], checkpoints: Mapping[str, Any]
    ) -> None:
        for name in sorted(checkpoints):
            if name not in self._logs:
                _fail(f"{where}: checkpoint for registry {name!r} not listed in the bundle header")
        for name, (size, root) in sizes.items():
            cp_where = f"{where}: checkpoint for {name}"
            note = checkpoints.get(name)
            if note is None:
                _fail(f"{cp_where}: missing")
            if not isinstance(note, str):
                _fail(f"{cp_where}: malformed note (not a string)")
            try:
                opened = notes.open_note(note, self._known_raw)
            except notes.NoteError as exc:
                _fail(f"{cp_where}: malformed note ({exc})")
            if opened.invalid:
                _fail(f"{cp_where}: bad signature")
            if not opened.verified:
                _fail(f"{cp_where}: no valid supernode signature")
            self.report.unknown_checkpoint_signatures += len(opened.unknown)
            try:
                checkpoint = notes.parse_checkpoint(opened.body)
            except notes.NoteError as exc:
                _fail(f"{cp_where}: malformed checkpoint ({exc})")
            origin = f"{self._origin_prefix}/{name}"
            if checkpoint.origin != origin:
                _fail(f"{cp_where}: origin {checkpoint.origin!r} is not {origin!r}")
            if checkpoint.size != size or checkpoint.root != root:
                _fail(
                    f"{cp_where}: size {checkpoint.size} root {checkpoint.root.hex()} "
                    f"do not match the block (size {size} root {root.hex()})"
                )
            if opened.body != notes.checkpoint_body(origin, size, root):
                _fail(f"{cp_where}: unexpected extension lines")


# --- receipts ---------------------------------------------------------------


def verify_receipt(
    receipt: Mapping[str, Any], trusted_keys: Iterable[str] | None = None
) -> list[str]:
    """Check a finality receipt; return what was checked, one line per step.

    Raises :class:`VerificationFailure` naming the first problem. The checks
    are those of a bundle, narrowed to one entry: payload and entry hash, the
    inclusion proof up to the block's root, the block hash, the supernode
    quorum certificate, the signed checkpoint, and the other tiers' levels.
    """
    if receipt.get("format") != RECEIPT_FORMAT:
        _fail(f"receipt: unsupported format {receipt.get('format')!r}, expected {RECEIPT_FORMAT!r}")
    keys: Mapping[str, Any] = _get(receipt, "keys", Mapping, "receipt")
    entry: Mapping[str, Any] = _get(receipt, "entry", Mapping, "receipt")
    inclusion: Mapping[str, Any] = _get(receipt, "inclusion", Mapping, "receipt")
    block: Mapping[str, Any] = _get(receipt, "block", Mapping, "receipt")
    registry: str = _get(entry, "registry", str, "receipt entry")
    seq = _get_int(entry, "seq", "receipt entry", minimum=1)
    where = f"registry {registry} seq {seq}"

    verifier = ChainVerifier(trusted_keys)
    verifier.start(
        {
            **keys,
            "format": BUNDLE_FORMAT,
            "chain_id": _get(receipt, "chain_id", str, "receipt"),
            "origin_prefix": _get(receipt, "origin_prefix", str, "receipt"),
            "registries": [registry],
        }
    )
    report = verifier.report
    lines = [
        f"chain {report.chain_id}: {len(report.supernodes)} supernodes (quorum {report.quorum}, "
        + ("keys from the receipt)" if report.keys_from_bundle else "trusted keys)")
    ]

    row = _entry_row(entry, registry, seq, where, public=_payloads_omitted(receipt, "receipt"))
    rehash = "payload" in entry
    if rehash and hashlib.sha256(row.payload).digest() != row.payload_hash:
        _fail(f"{where}: payload hash mismatch")
    leaf = entry_leaf(
        registry=row.registry,
        seq=row.seq,
        originator_id=row.originator_id,
        originator_version=row.originator_version,
        topic=row.topic,
        recorded_at=row.recorded_at,
        payload_hash=row.payload_hash,
    )
    if entry_hash(row.prev_hash, leaf) != row.entry_hash:
        _fail(f"{where}: entry hash mismatch")
    lines.append(
        f"{where}: payload hash and entry hash OK ({row.topic})"
        if rehash
        else f"{where}: entry hash OK ({row.topic}); public receipt: the payload is omitted, "
        "so its payload hash was not re-hashed"
    )

    header: Mapping[str, Any] = _get(block, "header", Mapping, "receipt block")
    height = _get_int(header, "height", "receipt block", minimum=1)
    block_where = f"block {height}"
    if _get(header, "chain_id", str, block_where) != report.chain_id:
        _fail(f"{block_where}: chain_id is not the receipt's {report.chain_id!r}")
    try:
        digest = block_hash(header)
    except NotCanonicalError as exc:
        _fail(f"{block_where}: malformed header ({exc})")
    if digest != _get_hex(block, "block_hash", block_where):
        _fail(f"{block_where}: block hash mismatch")
    logs: Mapping[str, Any] = _get(header, "logs", Mapping, block_where)
    log = logs.get(registry)
    if not isinstance(log, Mapping):
        _fail(f"{block_where}: logs do not name registry {registry}")
    size = _get_int(log, "size", f"{block_where}: registry {registry}")
    root = _get_hex(log, "root", f"{block_where}: registry {registry}")

    tree_size = _get_int(inclusion, "tree_size", "receipt inclusion")
    index = _get_int(inclusion, "leaf_index", "receipt inclusion")
    proof_hex: list[Any] = _get(inclusion, "proof", list, "receipt inclusion")
    if tree_size != size or index != seq - 1:
        _fail(f"{where}: inclusion proof is for index {index} of {tree_size}, not in {block_where}")
    proof = []
    for node in proof_hex:
        data = _lowercase_hex(node) if isinstance(node, str) else None
        if data is None or len(data) != 32:
            _fail(f"{where}: malformed inclusion proof (hashes must be 32-byte lowercase hex)")
        proof.append(data)
    if not verify_inclusion(leaf_hash(leaf), index, size, proof, root):
        _fail(f"{where}: inclusion proof does not reach {block_where}'s root")
    lines.append(f"{where}: included in tree size {size} root {root.hex()} ({len(proof)} hashes)")

    vote_round = _get_int(block, "round", block_where)
    certificate: list[Any] = _get(block, "certificate", list, block_where)
    verifier._check_certificate(block_where, height, vote_round, digest, certificate)
    checkpoints: Mapping[str, Any] = _get(block, "checkpoints", Mapping, block_where)
    verifier._check_checkpoints(block_where, {registry: (size, root)}, checkpoints)
    lines.append(
        f"{block_where}: hash {digest.hex()}, supernode quorum certificate and signed "
        f"checkpoint of {registry} OK"
    )
    level = "final"
    for tier, tier_keys in verifier._tier_keys.items():
        _, _, kind = OPTIONAL_TIERS[tier]
        tier_certificate: list[Any] = (
            _get(block, f"{tier}_certificate", list, block_where)
            if f"{tier}_certificate" in block
            else []
        )
        valid = verifier._valid_signers(
            block_where, tier, kind, height, vote_round, digest, tier_certificate, tier_keys
        )
        threshold = report.tiers[tier][1]
        lines.append(f"{block_where}: {len(valid)} valid {tier} signatures (threshold {threshold})")
        if tier == CITIZEN_TIER and len(valid) >= threshold:
            level = "witnessed"
    lines.append(f"{where}: {level} in {block_where}")
    return lines


# --- bundle reading ---------------------------------------------------------


def _reject_constant(value: str) -> NoReturn:
    raise ValueError(f"{value} is not allowed")


def _reject_float(value: str) -> NoReturn:
    raise ValueError(f"number {value} is not an integer")


def iter_bundle(
    stream: IO[bytes], progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` from a bundle, one line at a time.

    Raises :class:`BundleFormatError` for a line that is not UTF-8, not a JSON
    object, or not in canonical form. ``progress`` is called with the number
    of bytes consumed so far.
    """
    consumed = 0
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        consumed += len(raw)
        if progress is not None:
            progress(consumed)
        if len(raw) > MAX_LINE_BYTES:
            raise BundleFormatError(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if not raw:
            raise BundleFormatError(f"line {number}: empty line")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleFormatError(f"line {number}: not valid UTF-8 ({exc.reason})") from exc
        try:
            value = json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise BundleFormatError(f"line {number}: not valid JSON ({exc.msg})") from exc
        except (ValueError, RecursionError) as exc:
            raise BundleFormatError(f"line {number}: not valid bundle JSON ({exc})") from exc
        if not isinstance(value, dict):
            raise BundleFormatError(f"line {number}: not a JSON object")
        try:
            canonical_form = canonical(value)
        except (NotCanonicalError, ValueError) as exc:
            raise BundleFormatError(f"line {number}: not canonical JSON ({exc})") from exc
        if canonical_form != raw:
            raise BundleFormatError(
                f"line {number}: not in canonical JSON form (sorted keys, no spaces, "
                "UTF-8 characters unescaped; see docs/chain-format.md)"
            )
        yield number, value


def verify_stream(
    stream: IO[bytes],
    verifier: ChainVerifier | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify a whole bundle read from ``stream``; requires the end record."""
    verifier = verifier or ChainVerifier()
    records = iter_bundle(stream, progress)
    first = next(records, None)
    if first is None:
        raise BundleFormatError("empty file: not a riik bundle")
    _, header = first
    if header.get("type") != "header":
        raise BundleFormatError("line 1: not a riik bundle (the first record must be the header)")
    if header.get("format") != BUNDLE_FORMAT:
        raise BundleFormatError(
            f"line 1: unsupported bundle format {header.get('format')!r}, "
            f"expected {BUNDLE_FORMAT!r}"
        )
    verifier.start(header)
    for number, record in records:
        kind = record.get("type")
        if kind not in {"entry", "block", "end", "header"}:
            _fail(f"bundle line {number}: unknown record type {kind!r}")
        verifier.feed(record)
    return verifier.finish(require_end=True)


def verify_bundle(
    path: str | os.PathLike[str],
    trusted_keys: Iterable[str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify the bundle file at ``path`` (see :func:`verify_stream`)."""
    with open(path, "rb") as stream:
        return verify_stream(stream, ChainVerifier(trusted_keys), progress=progress)


def read_trusted_keys(path: str | os.PathLike[str]) -> list[str]:
    """Read verifier key strings, one per line (blank lines and ``#`` comments skipped).

    Raises :class:`BundleFormatError` naming the bad line.
    """
    keys = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BundleFormatError(f"{path}: not valid UTF-8") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            notes.parse_verifier_key(line)
        except notes.NoteError as exc:
            raise BundleFormatError(f"{path} line {number}: {exc}") from exc
        keys.append(line)
    if not keys:
        raise BundleFormatError(f"{path}: no verifier keys")
    return keys


# --- command line -----------------------------------------------------------


class _Progress:
    """A one-line stderr progress indicator: bytes read / size (percent)."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total = total
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, consumed: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and consumed < self.total:
            return
        self.last = now
        mib = 1024 * 1024
        percent = 100 * consumed // self.total if self.total else 100
        self.stream.write(
            f"\rverifying: {consumed / mib:.1f} / {self.total / mib:.1f} MiB ({percent}%)"
        )
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _read_receipt(path: str) -> dict[str, Any] | None:
    """The file as a receipt (one JSON object of format riik-receipt/1), else None.

    A bundle is recognised by its first line alone, so a large bundle is never
    read twice; a receipt may be written on one line or pretty-printed.
    """
    with open(path, "rb") as stream:
        data = stream.readline(MAX_LINE_BYTES + 1)
        first = _json_or_none(data)
        if isinstance(first, dict) and first.get("type") == "header":
            return None
        if first is None:
            data += stream.read(MAX_LINE_BYTES + 1 - len(data))
            first = _json_or_none(data)
    if isinstance(first, dict) and first.get("format") == RECEIPT_FORMAT:
        return first
    return None


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data, parse_float=_reject_float, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chain.verify",
        description="Verify a riik chain bundle or finality receipt (see docs/chain-format.md) "
        "without Django.",
    )
    parser.add_argument(
        "file",
        help="the bundle (JSON Lines) written by `manage.py chain export`, or a receipt "
        "written by `manage.py chain receipt`",
    )
    parser.add_argument(
        "--trusted-keys",
        metavar="FILE",
        help="file of C2SP verifier keys (name+keyid+key), one per line: the supernode "
        "keys to trust instead of those listed in the bundle header",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only OK or FAIL")
    parser.add_argument(
        "--blocks", action="store_true", help="also print one line per block: what was checked"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: 0 verified, 1 verification failure, 2 unreadable."""
    args = _parser().parse_args(argv)
    err = sys.stderr
    trusted: list[str] | None = None
    if args.trusted_keys:
        try:
            trusted = read_trusted_keys(args.trusted_keys)
        except OSError as exc:
            print(f"error: cannot read {args.trusted_keys}: {exc.strerror or exc}", file=err)
            return 2
        except BundleFormatError as exc:
            print(f"error: {exc}", file=err)
            return 2
    else:
        print(
            "warning: no --trusted-keys given; the supernode keys are taken from the bundle "
            "itself, so this only proves the bundle is self-consistent",
            file=err,
        )

    try:
        receipt = _read_receipt(args.file)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=err)
        return 2
    if receipt is not None:
        try:
            lines = verify_receipt(receipt, trusted)
        except VerificationFailure as exc:
            print(f"FAIL: {exc.message}", file=err)
            return 1
        if not args.quiet:
            for line in lines:
                print(line)
        print("OK")
        return 0

    progress: _Progress | None = None
    try:
        with open(args.file, "rb") as stream:
            if not args.quiet and err.isatty():
                try:
                    total = os.fstat(stream.fileno()).st_size
                except OSError:
                    total = 0
                progress = _Progress(total, err)
            try:
                on_block = None
                if args.blocks and not args.quiet:

                    def on_block(line: str) -> None:
                        if progress is not None:
                            progress.clear()
                        print(line)

                verifier = ChainVerifier(trusted, on_block=on_block)
                report = verify_stream(stream, verifier, progress=progress)
            finally:
                if progress is not None:
                    progress.clear()
    except VerificationFailure as exc:
        print(f"FAIL: {exc.message}", file=err)
        return 1
    except BundleFormatError as exc:
        print(f"error: {args.file}: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except Exception as exc:  # never a traceback for an auditor; this is a bug
        print(f"error: internal error while verifying {args.file}: {exc!r}", file=err)
        return 2

    if not args.quiet:
        for line in report.summary_lines():
            print(line)
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
