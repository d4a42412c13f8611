"""The streaming verifier of one chain: :class:`ChainVerifier`.

It is fed record by record (``start(header)``, then ``entry(record)`` /
``block(record)`` in bundle order, then ``finish()``), from a bundle file
(:mod:`chain.verify.stream`) or straight from the database (``manage.py chain
verify``), and keeps constant memory: per registry one Merkle frontier
(O(log n) hashes), the last entry hash and counters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chain.encoding import ZERO_HASH, NotCanonicalError, block_hash
from chain.merkle import MerkleFrontier, leaf_hash
from chain.protocol import CHAIN_LOG, SUPERNODE_TIER, WITNESS_TIER
from chain.verify.certificates import Certificates
from chain.verify.chainlog import ChainLog
from chain.verify.header import parse_trusted_keys, read_header
from chain.verify.money import MONEY_LOG, MoneyBooks
from chain.verify.records import (
    EntryRow,
    ParsedEntry,
    checked_leaf,
    entry_row,
    fail,
    get,
    get_hex,
    get_int,
    payloads_omitted,
)
from chain.verify.report import RegistryReport, Report

__all__ = ["ChainVerifier"]


@dataclass
class _Log:
    """One registry while it is read: its report and the Merkle frontier of its entries."""

    report: RegistryReport
    frontier: MerkleFrontier = field(default_factory=MerkleFrontier)
    _root: tuple[int, bytes] | None = None
    claimed: list[tuple[int, int, bytes]] = field(default_factory=list)
    """A delegated log: (block number, size, root) of each block that grew it."""

    @property
    def next_seq(self) -> int:
        """The seq the next entry of this registry must have."""
        return self.report.entries + 1

    def forget_root(self) -> None:
        """Drop the remembered root (the frontier was replaced)."""
        self._root = None

    def root(self) -> bytes:
        """The root of the entries so far, folded again only when some were added
        (most blocks leave most logs as they were)."""
        frontier = self.frontier
        if self._root is None or self._root[0] != frontier.size:
            self._root = (frontier.size, frontier.root())
        return self._root[1]


class ChainVerifier:
    """Streaming verifier of one chain: feed records in bundle order.

    ``trusted_keys``: C2SP verifier key strings of the supernodes to trust, each
    optionally followed by ``heights=A-B`` (or ``A-``: open), the blocks it is
    trusted for (:func:`~chain.verify.header.parse_trusted_key`). When
    omitted, the supernode keys listed in the header are used (they are then
    only as trustworthy as the bundle itself). ``quorum``: override the number
    of distinct supernode signatures a block needs; by default the header's,
    raised to a majority of the trusted keys when trusted keys are given.
    ``on_block``: called with one line per verified block saying what was checked.
    ``delegated``: registries whose entries another process verifies
    (:mod:`chain.verify.parallel`): here they are only counted
    (:meth:`counted_entry`) and the roots blocks sign for them collected
    (:meth:`claimed_roots`), for that process's to be compared with.

    It raises :class:`~chain.verify.records.VerificationFailure` at the first
    bad item, naming it.
    """

    def __init__(
        self,
        trusted_keys: Iterable[str] | None = None,
        *,
        quorum: int | None = None,
        on_block: Callable[[str], None] | None = None,
        delegated: Collection[str] = (),
    ) -> None:
        self._on_block = on_block
        self._delegated = frozenset(delegated)
        self._trusted = None if trusted_keys is None else parse_trusted_keys(trusted_keys)
        self._quorum_override = quorum
        self._certificates: Certificates | None = None
        self._chain_log: ChainLog | None = None
        self._logs: dict[str, _Log] = {}
        self._ended = False
        self._entry_records = 0
        self._public = False
        self._money: MoneyBooks | None = None

    # -- public API --

    @property
    def report(self) -> Report:
        """The report so far (valid after :meth:`start`)."""
        return self.certificates.report

    @property
    def certificates(self) -> Certificates:
        """The header's keys and the signature checks (valid after :meth:`start`)."""
        if self._certificates is None:
            raise RuntimeError("ChainVerifier.start() has not been called")
        return self._certificates

    def frontier(self, registry: str) -> MerkleFrontier:
        """The Merkle frontier of the entries of ``registry`` verified so far."""
        return self._logs[registry].frontier

    def log(self, registry: str) -> _Log:
        """The state of ``registry``'s log: its report, frontier and root."""
        return self._logs[registry]

    def claimed_roots(self) -> dict[str, list[tuple[int, int, bytes]]]:
        """Per delegated registry, (block number, size, root) of each block that grew it."""
        return {name: self._logs[name].claimed for name in self._delegated if name in self._logs}

    def start(self, header: Mapping[str, Any]) -> None:
        """Check the bundle header and set up the per-registry state."""
        if self._certificates is not None:
            fail("bundle: a second header record")
        certificates = read_header(header, self._trusted, self._quorum_override)
        self._public = payloads_omitted(header, "header")
        self._certificates = certificates
        self._chain_log = ChainLog(certificates)
        self._logs = {name: _Log(log) for name, log in certificates.report.registries.items()}
        if MONEY_LOG in self._logs:
            self._money = MoneyBooks(
                certificates.chain_id,
                lambda height: certificates.keys_at(SUPERNODE_TIER, height),
                lambda height, keys: certificates.threshold_at(SUPERNODE_TIER, height, keys),
                public=self._public,
            )
            certificates.report.money = self._money.report
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
        chain_id = report.chain_id
        from_height = get_int(header, "from_height", "header", minimum=2)
        anchor: Mapping[str, Any] = get(header, "anchor", Mapping, "header")
        record: Mapping[str, Any] = get(anchor, "block", Mapping, "header: anchor")
        logs: Mapping[str, Any] = get(anchor, "logs", Mapping, "header: anchor")
        block_header: Mapping[str, Any] = get(record, "header", Mapping, "header: anchor")
        height = get_int(block_header, "height", "header: anchor", minimum=1)
        where = f"anchor block {height}"
        if height != from_height - 1:
            fail(f"{where}: expected height {from_height - 1} (from_height - 1)")
        if get(block_header, "chain_id", str, where) != chain_id:
            fail(f"{where}: chain_id is not the bundle's {chain_id!r}")
        try:
            digest = block_hash(block_header)
        except NotCanonicalError as exc:
            fail(f"{where}: malformed header ({exc})")
        if digest != get_hex(record, "block_hash", where):
            fail(f"{where}: block hash mismatch")
        signed_logs: Mapping[str, Any] = get(block_header, "logs", Mapping, where)
        sizes: dict[str, tuple[int, bytes]] = {}
        for name, log in self._logs.items():
            log_where = f"{where}: registry {name}"
            signed = signed_logs.get(name)
            state = logs.get(name)
            if not isinstance(signed, Mapping) or not isinstance(state, Mapping):
                fail(f"{log_where}: missing")
            size = get_int(signed, "size", log_where)
            root = get_hex(signed, "root", log_where)
            if get_int(state, "size", log_where) != size:
                fail(f"{log_where}: anchor size is not the block's {size}")
            hashes: list[Any] = get(state, "frontier", list, log_where)
            try:
                frontier = MerkleFrontier(
                    size, [get_hex({"h": value}, "h", log_where) for value in hashes]
                )
            except ValueError as exc:
                fail(f"{log_where}: malformed frontier ({exc})")
            if frontier.root() != root:
                fail(f"{log_where}: frontier does not fold to the signed root")
            log.frontier = frontier
            log.forget_root()
            log.report.entries = log.report.sealed_size = size
            log.report.sealed_root = root
            log.report.head_hash = get_hex(state, "entry_hash", log_where)
            sizes[name] = (size, root)
        vote_round = get_int(record, "round", where)
        certificates = self.certificates
        certificates.check_quorum(
            where, height, vote_round, digest, get(record, "certificate", list, where)
        )
        certificates.check_checkpoints(
            where, height, sizes, get(record, "checkpoints", Mapping, where)
        )
        if self._money is not None:
            self._money.start_after(height)
            report.money = self._money.report
        report.anchor_height = height
        report.anchored_entries = sum(size for size, _ in sizes.values())
        report.last_height = height
        report.last_block_hash = digest

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
            fail(f"bundle: unknown record type {kind!r}")

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
            get(record, "registry", str, where)
            get(record, "seq", int, where)
        assert isinstance(registry, str)
        assert isinstance(seq, int)
        row = entry_row(record, registry, seq, where, public=self._public)
        self._check_entry(row, rehash="payload" in record, record=record)

    def parsed_entry(self, parsed: ParsedEntry) -> None:
        """Verify an entry line read by the fast path (:func:`~chain.verify.stream.fast_entry`):
        the checks and failures of :meth:`entry`, without parsing it again."""
        self._check_open()
        self._entry_records += 1
        row = parsed.row
        if not parsed.has_payload and not (self._public and row.registry != CHAIN_LOG):
            fail(f"{row.where}: malformed record (field 'payload' missing)")
        self._check_entry(row, rehash=parsed.has_payload, leaf=parsed.leaf)

    def counted_entry(self, registry: str) -> None:
        """An entry line of a delegated registry: counted, verified elsewhere."""
        self._check_open()
        self._entry_records += 1
        log = self._logs.get(registry)
        if log is None or registry not in self._delegated:
            fail(f"entry record {self._entry_records}: registry {registry!r} is not delegated")
        log.report.entries += 1

    def entry_row(self, row: EntryRow) -> None:
        """Verify an entry already typed by its source (the database)."""
        self._check_open()
        self._entry_records += 1
        self._check_entry(row)

    def _check_entry(
        self,
        row: EntryRow,
        *,
        rehash: bool = True,
        record: Mapping[str, Any] | None = None,
        leaf: bytes | None = None,
    ) -> None:
        log = self._logs.get(row.registry)
        if log is None:
            fail(f"{row.where}: registry not listed in the bundle header")
        if row.registry in self._delegated:
            fail(f"{row.where}: an entry of a delegated registry read here")
        if row.seq != log.next_seq:
            fail(f"{row.where}: expected seq {log.next_seq}")
        leaf = checked_leaf(row, rehash=rehash, leaf=leaf)
        if not rehash:
            self.report.payloads_omitted += 1
        if row.prev_hash != log.report.head_hash:
            if row.seq == 1:
                fail(f"{row.where}: prev_hash of the first entry must be zero")
            fail(f"{row.where}: prev_hash does not match entry {row.seq - 1}")
        assert self._chain_log is not None
        self._chain_log.check(row)
        log.frontier.append(leaf_hash(leaf))
        log.report.entries = row.seq
        log.report.head_hash = row.entry_hash
        if self._money is not None and row.registry == MONEY_LOG:
            self._money.entry(row, record)

    def block(self, record: Mapping[str, Any]) -> None:
        """Verify a block: header, hash, link, log roots, quorum and checkpoints."""
        self._check_open()
        report = self.report
        header_value = record.get("header")
        expected_height = (report.last_height or 0) + 1
        if not isinstance(header_value, Mapping):
            fail(f"block record {report.blocks + 1}: malformed record (field 'header' missing)")
        header: Mapping[str, Any] = header_value
        height = header.get("height")
        if not isinstance(height, int) or isinstance(height, bool):
            fail(f"block record {report.blocks + 1}: malformed record (header height missing)")
        where = f"block {height}"
        if height != expected_height:
            fail(f"{where}: expected height {expected_height}")

        chain_id: str = get(header, "chain_id", str, where)
        if chain_id != report.chain_id:
            fail(f"{where}: chain_id {chain_id!r} is not the bundle's {report.chain_id!r}")
        prev_hash = get_hex(header, "prev_hash", where)
        get(header, "sealed_at", str, where)
        get(header, "proposer", str, where)
        logs: Mapping[str, Any] = get(header, "logs", Mapping, where)
        claimed_hash = get_hex(record, "block_hash", where)
        vote_round = get_int(record, "round", where)
        certificate: list[Any] = get(record, "certificate", list, where)
        checkpoints: Mapping[str, Any] = get(record, "checkpoints", Mapping, where)

        try:
            computed_hash = block_hash(header)
        except NotCanonicalError as exc:
            fail(f"{where}: malformed header ({exc})")
        if computed_hash != claimed_hash:
            fail(f"{where}: block hash mismatch")
        if prev_hash != (report.last_block_hash or ZERO_HASH):
            if height == 1:
                fail(f"{where}: prev_hash of the first block must be zero")
            fail(f"{where}: prev_hash does not match block {height - 1}")

        sizes = self._block_logs(where, height, logs)
        certificates = self.certificates
        signed = certificates.check_quorum(where, height, vote_round, computed_hash, certificate)
        certificates.check_checkpoints(where, height, sizes, checkpoints)
        if self._money is not None:
            self._money.check(where)
        level = "final"
        tier_counts: list[str] = []
        for tier in certificates.tiers:
            tier_certificate: list[Any] = (
                get(record, f"{tier}_certificate", list, where)
                if f"{tier}_certificate" in record
                else []
            )
            keys_now = certificates.keys_at(tier, height)
            valid = certificates.valid_signers(
                where, tier, height, vote_round, computed_hash, tier_certificate, keys_now
            )
            tier_counts.append(f"{len(valid)} {tier}")
            threshold = certificates.threshold_at(tier, height, keys_now)
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

    def _block_logs(
        self, where: str, height: int, logs: Mapping[str, Any]
    ) -> dict[str, tuple[int, bytes]]:
        """Each registry's (size, root) a block commits to, checked against its tree."""
        sizes: dict[str, tuple[int, bytes]] = {}
        for name in sorted(logs):
            if name not in self._logs:
                fail(f"{where}: logs name registry {name!r} not listed in the bundle header")
        for name, log in self._logs.items():
            if name not in logs and log.report.entries == 0:
                # A log added later (the chain log): blocks sealed before it
                # existed do not name it, and it had nothing to commit to.
                continue
            if name not in logs:
                fail(f"{where}: logs do not name registry {name}")
            entry_where = f"{where}: registry {name}"
            item = logs[name]
            if not isinstance(item, Mapping):
                fail(f"{entry_where}: malformed log entry (not an object)")
            size = get_int(item, "size", entry_where)
            root = get_hex(item, "root", entry_where)
            if size < log.report.sealed_size:
                fail(
                    f"{entry_where} size {size} is below block {height - 1}'s "
                    f"{log.report.sealed_size}"
                )
            if size > log.report.entries:
                fail(f"{entry_where} size {size} but only {log.report.entries} entries")
            if size < log.report.entries:
                fail(f"{entry_where} size {size} but {log.report.entries} entries precede it")
            if name in self._delegated:
                # Compared with the worker's roots when it is done.
                if size != (log.claimed[-1][1] if log.claimed else 0):
                    log.claimed.append((self.report.blocks + 1, size, root))
            elif log.root() != root:
                fail(f"{entry_where} root mismatch at size {size}")
            sizes[name] = (size, root)
        return sizes

    def end(self, record: Mapping[str, Any]) -> None:
        """Check the end record's counts against what was read."""
        self._check_open()
        report = self.report
        entries = get_int(record, "entries", "bundle: end record")
        blocks = get_int(record, "blocks", "bundle: end record")
        held = report.entries - report.anchored_entries
        if entries != held or blocks != report.blocks:
            fail(
                f"bundle: end record counts {entries} entries and {blocks} blocks, "
                f"but the bundle holds {held} entries and {report.blocks} blocks"
            )
        self._ended = True
        report.complete = True

    def finish(self, *, require_end: bool = False) -> Report:
        """Return the report; with ``require_end``, fail if no end record was fed."""
        report = self.report
        if require_end and not self._ended:
            fail("bundle: truncated (no end record)")
        if self._chain_log is not None:
            self._chain_log.finish()
        if self._money is not None:
            self._money.check("bundle end")
        return report

    def _check_open(self) -> None:
        if self._certificates is None:
            fail("bundle: records before the header")
        if self._ended:
            fail("bundle: record after the end record")
