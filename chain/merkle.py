"""Merkle tree hashes and proofs of RFC 9162 section 2.1 (SHA-256).

Pure: standard library only, no Django, no I/O.

A tree is addressed by the hashes of its *perfect* subtrees: ``(level, index)``
names the subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``,
level 0 being the leaf hashes. Every RFC 9162 subtree is a right fold of a few
such perfect subtrees, so a store that keeps them (a database table, or the
dictionary built in memory by :func:`root_hash` and friends) answers any root
or proof with one batched read of O(log n) keys, without rebuilding the tree.

Verifiers take untrusted input: they return ``False`` for anything malformed
and never raise. Generators raise ``ValueError`` for out-of-range arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Fetch",
    "MerkleFrontier",
    "consistency_proof",
    "consistency_ranges",
    "fold_subtrees",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "proof_from_store",
    "root_from_store",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string (RFC 9162 2.1.1)."""

Key = tuple[int, int]
"""``(level, index)`` of a perfect subtree."""

Fetch = Callable[[Collection[Key]], Mapping[Key, bytes]]
"""Reads the hashes of the given perfect subtrees from a store, in one go."""


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- perfect subtrees and the ranges a proof is made of ----------------------


def perfect_subtrees(start: int, end: int) -> list[Key]:
    """Split the RFC subtree over leaves ``[start, end)`` into perfect subtrees.

    Returns ``(level, index)`` pairs, left to right (levels decreasing). The
    range must be one that the RFC recursion produces, whose ``start`` is a
    multiple of the largest power of two not above ``end - start``; anything
    else raises ``ValueError``.
    """
    if not 0 <= start < end:
        raise ValueError(f"not a non-empty leaf range: [{start}, {end})")
    width = end - start
    if start % (1 << (width.bit_length() - 1)):
        raise ValueError(f"[{start}, {end}) is not an aligned RFC 9162 subtree")
    keys = []
    position = start
    # The RFC splits off the largest power of two each time, which is exactly
    # the binary expansion of the width, highest bit first.
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect subtree hashes (left to right) into their RFC subtree hash."""
    if not hashes:
        raise ValueError("cannot fold an empty list of hashes")
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PATH(index, D[0:size]), in proof order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
    # Walked top-down; the RFC lists the deepest sibling first.
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PROOF(old_size, D[0:new_size]).

    Follows SUBPROOF with the b flag of RFC 9162 2.1.4.1. The RFC defines the
    proof for ``0 < old_size < new_size``; for ``old_size == 0`` and
    ``old_size == new_size`` the proof is empty.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove size {old_size} against size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges = []
    lo, hi = 0, new_size
    whole_old_tree = True  # the RFC's b: [lo, hi) still starts at leaf 0
    while old_size != hi:
        mid = lo + _split(hi - lo)
        if old_size <= mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
            whole_old_tree = False
    if not whole_old_tree:
        # Otherwise this node is the old root, which the verifier already has.
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


# --- reading from a store of perfect subtrees ---------------------------------


def proof_from_store(ranges: Sequence[tuple[int, int]], fetch: Fetch) -> list[bytes]:
    """Return the subtree hash of each range, reading the store with one ``fetch``.

    ``fetch`` receives every needed ``(level, index)`` key at once and is not
    called at all when ``ranges`` is empty. A key missing from its answer
    raises ``KeyError``.
    """
    layouts = [perfect_subtrees(start, end) for start, end in ranges]
    if not layouts:
        return []
    keys = list(dict.fromkeys(key for layout in layouts for key in layout))
    found = fetch(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        raise KeyError(f"store has no hash for subtrees {missing}")
    return [fold_subtrees([found[key] for key in layout]) for layout in layouts]


def root_from_store(size: int, fetch: Fetch) -> bytes:
    """Return the root of the tree of ``size`` leaves (``EMPTY_ROOT`` for 0)."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return proof_from_store([(0, size)], fetch)[0]


def _memory_fetch(leaves: Sequence[bytes]) -> Fetch:
    """A store of every perfect subtree of ``leaves``, built by appending them."""
    frontier = MerkleFrontier()
    store = {}
    for data in leaves:
        for level, index, digest in frontier.append(leaf_hash(data)):
            store[level, index] = digest
    return lambda keys: store


# --- the contract on in-memory leaves ------------------------------------------


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Return MTH(leaves), the RFC 9162 Merkle Tree Hash of raw leaf data."""
    return root_from_store(len(leaves), _memory_fetch(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Return PATH(index, leaves), the inclusion proof of leaf ``index``."""
    return proof_from_store(inclusion_ranges(index, len(leaves)), _memory_fetch(leaves))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return PROOF(old_size, leaves), empty for ``old_size`` 0 or ``len(leaves)``."""
    ranges = consistency_ranges(old_size, len(leaves))
    return proof_from_store(ranges, _memory_fetch(leaves))


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) -------------------------------


def _is_size(value: object) -> bool:
    # bool is an int; a True "size" is a bug in the caller, not a size.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_hash_list(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str | bytes | bytearray)
        and all(_is_hash(item) for item in value)
    )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    Takes the leaf *hash*, not the leaf data. Returns ``False`` for any bad
    input. The tree size is bound only by the root: two sizes whose proofs have
    the same shape (leaf 0 of 3 or of 4 leaves) are not told apart, so a
    verifier must take ``size`` and ``root`` from the same signed tree head.
    """
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_hash_list(proof)):
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False  # proof too long
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # Skip the levels where this node has no right sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the new one.

    Returns ``False`` for any bad input. Cases outside the RFC algorithm, which
    needs ``0 < old_size < new_size``, follow the golden vectors:

    * ``old_size == new_size``: the proof must be empty and the roots equal
      (compared as given, nothing is hashed); for size 0 both roots must be
      ``EMPTY_ROOT``, the only root an empty tree has.
    * ``old_size == 0 < new_size``: the empty tree is a prefix of every tree,
      so the proof must be empty, ``old_root`` must be ``EMPTY_ROOT`` and
      ``new_root`` a well-formed 32-byte hash. That proves nothing about
      ``new_root``; it only lets a client start from nothing.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not _is_hash_list(proof):
        return False
    if old_size == new_size:
        if not (isinstance(old_root, bytes) and isinstance(new_root, bytes)):
            return False
        if old_size == 0 and old_root != EMPTY_ROOT:
            return False
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT and _is_hash(new_root)
    if not (_is_hash(old_root) and _is_hash(new_root)) or len(proof) == 0:
        return False

    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect left subtree: its root starts the path.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # proof too long
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- the right edge of an append-only tree ---------------------------------------


@dataclass
class MerkleFrontier:
    """The compact right edge of an append-only tree.

    ``hashes`` are the hashes of ``perfect_subtrees(0, size)``, left to right:
    enough to append leaves and compute the root without reading the tree.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _is_size(self.size):
            raise ValueError(f"not a tree size: {self.size!r}")
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a tree of size {self.size} has {self.size.bit_count()} "
                f"perfect subtrees, not {len(self.hashes)}"
            )
        if not all(_is_hash(digest) for digest in self.hashes):
            raise ValueError("frontier hashes must be 32-byte hashes")

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf by its hash; return the completed nodes as (level, index, hash).

        The leaf itself comes first, at level 0, then each node it completes.
        """
        if not _is_hash(leaf_hash):
            raise ValueError("leaf hash must be 32 bytes")
        digest, level, index = leaf_hash, 0, self.size
        completed = [(level, index, digest)]
        # A set bit of the old size is a perfect subtree of that level on the
        # right edge, which the new node now completes into its parent.
        while self.size >> level & 1:
            digest = node_hash(self.hashes.pop(), digest)
            level, index = level + 1, index >> 1
            completed.append((level, index, digest))
        self.hashes.append(digest)
        self.size += 1
        return completed

    def push_leaf(self, data: bytes) -> None:
        """Append one leaf by its data, like ``append(leaf_hash(data))`` without
        listing the completed nodes: the verifier's per-entry step, kept lean."""
        sha256, hashes = hashlib.sha256, self.hashes
        digest = sha256(b"\x00" + data).digest()
        size = self.size
        # Each set low bit of the old size is a perfect subtree the new node completes.
        while size & 1:
            digest = sha256(b"\x01" + hashes.pop() + digest).digest()
            size >>= 1
        hashes.append(digest)
        self.size += 1

    def root(self) -> bytes:
        """Return the root of the tree (``EMPTY_ROOT`` when empty)."""
        return fold_subtrees(self.hashes) if self.hashes else EMPTY_ROOT

    def to_bytes(self) -> bytes:
        """Return the hashes concatenated, for one database column."""
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> MerkleFrontier:
        """Rebuild a frontier from its size and :meth:`to_bytes` output."""
        if len(data) % HASH_SIZE:
            raise ValueError("frontier bytes are not a whole number of hashes")
        hashes = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        return cls(size, hashes)

    @classmethod
    def from_store(cls, size: int, fetch: Fetch) -> MerkleFrontier:
        """Rebuild a frontier from the stored perfect subtrees, in one ``fetch``."""
        if size < 0:
            raise ValueError(f"negative tree size {size}")
        if size == 0:
            return cls()
        keys = perfect_subtrees(0, size)
        # Each range is a single perfect subtree, so folding returns it as is.
        hashes = proof_from_store([_leaf_range(key) for key in keys], fetch)
        return cls(size, hashes)


def _leaf_range(key: Key) -> tuple[int, int]:
    level, index = key
    return index << level, (index + 1) << level
