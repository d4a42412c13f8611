"""The raw-hashlib baseline of the ``chain verify`` figure (pure: no Django).

Per ledger entry the verifier computes, and this baseline times with nothing
else around it:

1. the payload hash, SHA-256 over the stored event state;
2. the entry hash, SHA-256 over ``prev_hash || canonical(envelope)``;
3. the leaf hash, SHA-256 over ``0x00 || canonical(envelope)``;
4. the Merkle nodes completed by appending the leaf to the frontier,
   SHA-256 over 65 bytes each: ``n - popcount(n)`` for a log of ``n``
   entries, i.e. just under one per entry on average.

Block hashes, root folds and signatures are left out of the count (a few per
block, not per entry), which makes the baseline slightly faster and the
ratio slightly more conservative.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from chain.encoding import ZERO_HASH

NODE_INPUT_SIZE = 1 + 32 + 32
"""Bytes hashed per interior node: 0x01 || left || right."""


def node_hash_count(entries: int) -> int:
    """Interior nodes completed when ``entries`` leaves are appended one by one."""
    if entries < 0:
        raise ValueError(f"negative entry count {entries}")
    return entries - entries.bit_count()


def hashes_per_entry(entries: int) -> float:
    """SHA-256 calls per entry that the baseline counts (3 + nodes / entries)."""
    if entries <= 0:
        return 0.0
    return 3 + node_hash_count(entries) / entries


def hash_inputs(
    payloads: Sequence[bytes], leaves: Sequence[bytes], *, log_sizes: Sequence[int] | None = None
) -> list[bytes]:
    """The byte strings the verifier hashes for logs with these payloads and leaves.

    ``leaves`` are the canonical envelopes; ``log_sizes`` the entries of each
    log (default: one log of them all), which sets the Merkle nodes completed.
    Only sizes matter for timing, so the chaining input uses a zero
    ``prev_hash`` and nodes are zero bytes.
    """
    if len(payloads) != len(leaves):
        raise ValueError("one payload per leaf")
    inputs: list[bytes] = []
    for payload, leaf in zip(payloads, leaves, strict=True):
        inputs.append(bytes(payload))
        inputs.append(ZERO_HASH + leaf)
        inputs.append(b"\x00" + leaf)
    sizes = [len(leaves)] if log_sizes is None else list(log_sizes)
    if sum(sizes) != len(leaves):
        raise ValueError("log sizes do not add up to the leaves")
    nodes = sum(node_hash_count(size) for size in sizes)
    inputs.extend([bytes(NODE_INPUT_SIZE)] * nodes)
    return inputs


def time_raw_hashes(inputs: Sequence[bytes]) -> float:
    """Seconds taken by one SHA-256 ``digest()`` per input, in a plain loop."""
    sha256 = hashlib.sha256
    start = time.perf_counter()
    for data in inputs:
        sha256(data).digest()
    return time.perf_counter() - start
