"""What a verification found: the report of one bundle, per registry and block range."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.encoding import ZERO_HASH
from chain.merkle import EMPTY_ROOT
from chain.verify.money import MoneyReport

__all__ = ["MAX_SAMPLES", "RegistryReport", "Report"]

MAX_SAMPLES = 10
"""Items of a long list (ignored signatures, evidence, changes) a summary names."""


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
        """Entries read after the last block's tree size."""
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
    money: MoneyReport | None = None
    """The money log's supply and conservation check (when the chain has a money log)."""

    @property
    def entries(self) -> int:
        """Entries verified in all registries (anchored ones included)."""
        return sum(log.entries for log in self.registries.values())

    def summary_lines(self) -> list[str]:
        """What was checked, one line per registry, block range and finding."""
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
                + "; ".join(self.evidence[:MAX_SAMPLES])
            )
        if self.rotations:
            lines.append(
                f"membership: {len(self.rotations)} key rotations (certified by the "
                "supernodes of their height): " + "; ".join(self.rotations[:MAX_SAMPLES])
            )
        if self.membership:
            lines.append(
                f"membership: {len(self.membership)} changes certified by a supernode quorum"
                + ("; the header's member history matches them" if self.history_checked else "")
                + ": "
                + "; ".join(self.membership[:MAX_SAMPLES])
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
        money = self.money
        if money is not None and (money.mode == "range" or money.acts or money.wallets):
            lines.append(money.line())
        lines.append(
            f"total: {self.entries} entries, {self.blocks} blocks"
            + ("" if self.complete else " (no end record checked)")
        )
        return lines
