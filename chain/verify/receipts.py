"""Finality receipts: one entry, its inclusion proof and its block, checked offline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chain.encoding import NotCanonicalError, block_hash
from chain.merkle import leaf_hash, verify_inclusion
from chain.protocol import CITIZEN_TIER
from chain.verify.records import (
    BUNDLE_FORMAT,
    RECEIPT_FORMAT,
    checked_leaf,
    entry_row,
    fail,
    get,
    get_hex,
    get_int,
    lowercase_hex,
    payloads_omitted,
)
from chain.verify.verifier import ChainVerifier

__all__ = ["verify_receipt"]


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
        fail(f"receipt: unsupported format {receipt.get('format')!r}, expected {RECEIPT_FORMAT!r}")
    keys: Mapping[str, Any] = get(receipt, "keys", Mapping, "receipt")
    entry: Mapping[str, Any] = get(receipt, "entry", Mapping, "receipt")
    inclusion: Mapping[str, Any] = get(receipt, "inclusion", Mapping, "receipt")
    block: Mapping[str, Any] = get(receipt, "block", Mapping, "receipt")
    registry: str = get(entry, "registry", str, "receipt entry")
    seq = get_int(entry, "seq", "receipt entry", minimum=1)
    where = f"registry {registry} seq {seq}"

    verifier = ChainVerifier(trusted_keys)
    verifier.start(
        {
            **keys,
            "format": BUNDLE_FORMAT,
            "chain_id": get(receipt, "chain_id", str, "receipt"),
            "origin_prefix": get(receipt, "origin_prefix", str, "receipt"),
            "registries": [registry],
        }
    )
    report = verifier.report
    lines = [
        f"chain {report.chain_id}: {len(report.supernodes)} supernodes (quorum {report.quorum}, "
        + ("keys from the receipt)" if report.keys_from_bundle else "trusted keys)")
    ]

    row = entry_row(entry, registry, seq, where, public=payloads_omitted(receipt, "receipt"))
    rehash = "payload" in entry
    leaf = checked_leaf(row, rehash=rehash)
    lines.append(
        f"{where}: payload hash and entry hash OK ({row.topic})"
        if rehash
        else f"{where}: entry hash OK ({row.topic}); public receipt: the payload is omitted, "
        "so its payload hash was not re-hashed"
    )

    header: Mapping[str, Any] = get(block, "header", Mapping, "receipt block")
    height = get_int(header, "height", "receipt block", minimum=1)
    block_where = f"block {height}"
    if get(header, "chain_id", str, block_where) != report.chain_id:
        fail(f"{block_where}: chain_id is not the receipt's {report.chain_id!r}")
    try:
        digest = block_hash(header)
    except NotCanonicalError as exc:
        fail(f"{block_where}: malformed header ({exc})")
    if digest != get_hex(block, "block_hash", block_where):
        fail(f"{block_where}: block hash mismatch")
    logs: Mapping[str, Any] = get(header, "logs", Mapping, block_where)
    log = logs.get(registry)
    if not isinstance(log, Mapping):
        fail(f"{block_where}: logs do not name registry {registry}")
    size = get_int(log, "size", f"{block_where}: registry {registry}")
    root = get_hex(log, "root", f"{block_where}: registry {registry}")

    tree_size = get_int(inclusion, "tree_size", "receipt inclusion")
    index = get_int(inclusion, "leaf_index", "receipt inclusion")
    proof_hex: list[Any] = get(inclusion, "proof", list, "receipt inclusion")
    if tree_size != size or index != seq - 1:
        fail(f"{where}: inclusion proof is for index {index} of {tree_size}, not in {block_where}")
    proof = []
    for node in proof_hex:
        data = lowercase_hex(node) if isinstance(node, str) else None
        if data is None or len(data) != 32:
            fail(f"{where}: malformed inclusion proof (hashes must be 32-byte lowercase hex)")
        proof.append(data)
    if not verify_inclusion(leaf_hash(leaf), index, size, proof, root):
        fail(f"{where}: inclusion proof does not reach {block_where}'s root")
    lines.append(f"{where}: included in tree size {size} root {root.hex()} ({len(proof)} hashes)")

    vote_round = get_int(block, "round", block_where)
    certificate: list[Any] = get(block, "certificate", list, block_where)
    certificates = verifier.certificates
    certificates.check_quorum(block_where, height, vote_round, digest, certificate)
    checkpoints: Mapping[str, Any] = get(block, "checkpoints", Mapping, block_where)
    certificates.check_checkpoints(block_where, height, {registry: (size, root)}, checkpoints)
    lines.append(
        f"{block_where}: hash {digest.hex()}, supernode quorum certificate and signed "
        f"checkpoint of {registry} OK"
    )
    level = "final"
    for tier in certificates.tiers:
        tier_keys = certificates.keys_at(tier, height)
        tier_certificate: list[Any] = (
            get(block, f"{tier}_certificate", list, block_where)
            if f"{tier}_certificate" in block
            else []
        )
        valid = certificates.valid_signers(
            block_where, tier, height, vote_round, digest, tier_certificate, tier_keys
        )
        threshold = certificates.threshold_at(tier, height, tier_keys)
        lines.append(f"{block_where}: {len(valid)} valid {tier} signatures (threshold {threshold})")
        if tier == CITIZEN_TIER and len(valid) >= threshold:
            level = "witnessed"
    lines.append(f"{where}: {level} in {block_where}")
    return lines
