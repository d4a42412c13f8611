"""What a citizen can prove about a record without trusting the server that sent it.

A ``/me`` record carries its ledger position and an RFC 9162 inclusion proof.
The proof alone only shows that the entry belongs to a tree whose root *the
same server* named. A record is **proved** when that root is the one the
block header at the record's height commits to, and that header is certified
by a quorum of supernode keys the user pinned beforehand
(``riik_client keys pin``): then the server could not have forged it without
the supernodes' keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import merkle, notes
from chain.encoding import block_hash, vote_message
from chain.protocol import FINALIZE_KIND, FINALIZE_ROUND, SUPERNODE_TIER, quorum

__all__ = ["Finding", "PinnedKeys", "prove", "read_pinned_keys", "write_pinned_keys"]

PinnedKeys = Mapping[tuple[str, bytes], bytes]
"""Supernode verifier keys the user trusts: (name, key id) -> raw Ed25519 public key."""

FINAL_LEVELS = frozenset({"final", "witnessed"})


@dataclass(frozen=True)
class Finding:
    """What was proved about one record, in words a person can act on."""

    registry: str
    seq: int | None
    proved: bool
    failed: bool
    says: str

    def line(self) -> str:
        """``business seq 17: PROVED - ...``."""
        verdict = "PROVED" if self.proved else "FAILED" if self.failed else "NOT PROVED"
        return f"{self.registry} seq {self.seq}: {verdict} - {self.says}"


def read_pinned_keys(path: Path) -> dict[tuple[str, bytes], bytes]:
    """The pinned supernode keys in ``path`` (the verifier's trusted-keys format).

    One C2SP verifier key per line; blank lines and ``#`` comments skipped.
    Raises :class:`ValueError` naming the bad line, or when there is no key.
    """
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            notes.parse_verifier_key(line)
        except notes.NoteError as error:
            raise ValueError(f"{path} line {number}: {error}") from None
        lines.append(line)
    if not lines:
        raise ValueError(f"{path}: no supernode keys")
    return notes.known_keys(lines)


def write_pinned_keys(path: Path, verifier_keys: Iterable[str], source: str) -> None:
    """Write ``verifier_keys`` to ``path`` in the verifier's trusted-keys format."""
    keys = sorted(verifier_keys)
    for key in keys:
        notes.parse_verifier_key(key)
    header = (
        f"# Supernode keys pinned from {source}\n"
        "# Compare them with the keys the state publishes.\n"
    )
    path.write_text(header + "".join(f"{key}\n" for key in keys), encoding="utf-8")


def _inclusion_holds(proof: Mapping[str, Any]) -> bool:
    leaf_hash = merkle.leaf_hash(bytes.fromhex(proof["leaf"]))
    return leaf_hash.hex() == proof["leaf_hash"] and merkle.verify_inclusion(
        leaf_hash,
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(node) for node in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )


def _certifying_signers(
    block: Mapping[str, Any], digest: bytes, chain_id: str, pinned: PinnedKeys
) -> set[str]:
    """Pinned supernodes whose finalize signature over this block holds (one round: 0)."""
    height = block["header"]["height"]
    message = vote_message(
        chain_id=chain_id,
        tier=SUPERNODE_TIER,
        kind=FINALIZE_KIND,
        height=height,
        round=FINALIZE_ROUND,
        block_hash=digest,
    )
    signers: set[str] = set()
    for signature in block.get("certificate", []):
        if (signature.get("tier"), signature.get("kind"), signature.get("round")) != (
            SUPERNODE_TIER,
            FINALIZE_KIND,
            FINALIZE_ROUND,
        ):
            continue
        public = pinned.get((signature["signer"], bytes.fromhex(signature["key_id"])))
        if public is None:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(
                bytes.fromhex(signature["signature"]), message
            )
        except (InvalidSignature, ValueError):
            continue
        signers.add(signature["signer"])
    return signers


def prove(
    position: Mapping[str, Any],
    block_at: Callable[[int], Mapping[str, Any]],
    pinned: PinnedKeys,
    chain_id: str,
) -> Finding:
    """What ``position`` (a record's ``chain`` object) proves against ``pinned`` keys.

    ``block_at(height)`` fetches a block as ``/api/v1/chain/blocks/<height>/``
    answers it. Nothing the server sends is trusted: the header is hashed
    here, and only signatures by pinned keys count.
    """
    registry, seq = str(position.get("registry", "?")), position.get("seq")

    def finding(proved: bool, says: str, *, failed: bool = False) -> Finding:
        return Finding(registry, seq, proved, failed, says)

    proof = position.get("proof")
    if not proof:
        return finding(False, "no inclusion proof (the record has no ledger entry yet)")
    if not _inclusion_holds(proof):
        return finding(False, "the inclusion proof does not hold", failed=True)
    height = position.get("block_height")
    if height is None or position.get("level") not in FINAL_LEVELS:
        return finding(
            False,
            f"not yet in a final block (level {position.get('level')}); its proof holds only "
            "against the root this server sent",
        )
    if not pinned:
        return finding(
            False,
            "no pinned supernode keys: the proof holds only against the root this server "
            "sent (run `riik_client keys pin FILE` and pass --trusted-keys FILE)",
        )
    block = block_at(int(height))
    header = block["header"]
    if header.get("chain_id") != chain_id or header.get("height") != height:
        return finding(False, f"block {height} is not of chain {chain_id}", failed=True)
    committed = header.get("logs", {}).get(registry)
    if committed != {"size": proof["tree_size"], "root": proof["root_hash"]}:
        return finding(
            False,
            f"block {height} commits to another {registry} tree than the proof's "
            f"(size {proof['tree_size']}, root {proof['root_hash'][:16]}...): a forged root",
            failed=True,
        )
    digest = block_hash(header)
    signers = _certifying_signers(block, digest, chain_id, pinned)
    needed = quorum(len({name for name, _ in pinned}))
    if len(signers) < needed:
        # Not a forgery by itself: a block signed before a key rotation needs
        # the keys of its time.
        return finding(
            False,
            f"block {height} is signed by {len(signers)} of the pinned supernodes, {needed} needed",
        )
    return finding(
        True,
        f"in block {height}, final by {len(signers)} pinned supernodes (quorum {needed}); "
        f"the inclusion proof holds against the block's {registry} root",
    )
