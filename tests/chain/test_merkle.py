"""Tests of chain/merkle.py (RFC 9162 section 2.1).

Three independent sources of truth:

* the golden vectors of transparency-dev/merkle, vendored in tests/data/merkle;
* a reference implementation below, written straight from the RFC text with
  list slicing and sharing no code with the module;
* pymerkle, a third-party implementation (GPL, test-only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    consistency_proof,
    consistency_ranges,
    fold_subtrees,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    proof_from_store,
    root_from_store,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "merkle"
GOLDEN_FILES = sorted(TESTDATA.glob("*/**/*.json"))
EXPECTED_GOLDEN_CASES = 196

# The leaves behind the golden happy paths (RFC 6962 test data, as used by
# transparency-dev/merkle): the vectors themselves only carry hashes.
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]

# No example database: the tests must not leave files in the source tree.
SETTINGS = settings(deadline=None, database=None)

leaf_lists = st.lists(st.binary(max_size=8), max_size=70)
# Distinct leaves, so that no two subtrees share a hash by construction.
unique_leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True)


# --- reference implementation, straight from RFC 9162 2.1 ---------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    # The RFC defines PROOF(m, D_n) for 0 < m < n; SUBPROOF(n, D_n, true) is
    # empty, and the module documents an empty proof for m = 0.
    return [] if m == 0 else ref_subproof(m, d, True)


def ref_path_shape(m: int, n: int) -> list[str]:
    """Which side each PATH element sits on: all the verifier computes from (m, n)."""
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path_shape(m, k), "right"]
    return [*ref_path_shape(m - k, n - k), "left"]


def ref_subproof_shape(m: int, n: int, b: bool = True) -> list[str]:
    """The role of each SUBPROOF element: all the verifier computes from (m, n)."""
    if m == n:
        return [] if b else ["old-subtree"]
    k = _k(n)
    if m <= k:
        return [*ref_subproof_shape(m, k, b), "right"]
    return [*ref_subproof_shape(m - k, n - k, False), "left"]


def ref_store(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect aligned subtree (level, index) -> hash, by brute force."""
    store = {}
    level = 0
    while (1 << level) <= len(leaves):
        width = 1 << level
        for index in range(len(leaves) // width):
            store[level, index] = ref_mth(leaves[index * width : (index + 1) * width])
        level += 1
    return store


class RecordingStore:
    """A dict-backed fetch that records every call."""

    def __init__(self, store: Mapping[tuple[int, int], bytes]) -> None:
        self.store = store
        self.calls: list[list[tuple[int, int]]] = []

    def __call__(self, keys: Collection[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        self.calls.append(list(keys))
        return {key: self.store[key] for key in keys if key in self.store}


def log_bound(n: int) -> int:
    # h = ceil(log2 n) is the height of the tree. Only one range of a proof can
    # be imperfect: the first one the walk from the root leaves on the right
    # edge, after which the walk is inside a perfect subtree of height
    # kappa < h. That range splits into at most kappa perfect pieces; every
    # other range is one piece, and there are at most h - kappa + 1 of them.
    return 2 * math.ceil(math.log2(n)) if n > 1 else 0


def flip(data: bytes, position: int, mask: int) -> bytes:
    out = bytearray(data)
    out[position % len(out)] ^= mask
    return bytes(out)


# --- golden vectors ---------------------------------------------------------------


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def _golden_id(path: Path) -> str:
    return path.relative_to(TESTDATA).as_posix()


def test_golden_vector_folder_holds_all_196_cases() -> None:
    assert TESTDATA.is_dir(), f"golden vectors not found at {TESTDATA}"
    kinds = [path.relative_to(TESTDATA).parts[0] for path in GOLDEN_FILES]
    assert len(GOLDEN_FILES) == EXPECTED_GOLDEN_CASES
    assert kinds.count("inclusion") == 98
    assert kinds.count("consistency") == 98


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=_golden_id)
def test_golden_vector_is_accepted_exactly_when_want_err_is_false(path: Path) -> None:
    case = _load(path)
    proof = [_b64(p) for p in case["proof"] or []]
    if path.relative_to(TESTDATA).parts[0] == "inclusion":
        verdict = verify_inclusion(
            _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
        )
    else:
        verdict = verify_consistency(
            case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof
        )
    assert verdict is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize(
    "path", sorted(TESTDATA.glob("inclusion/*/happy-path.json")), ids=_golden_id
)
def test_generators_reproduce_golden_inclusion_happy_path(path: Path) -> None:
    case = _load(path)
    leaves = RFC6962_LEAVES[: case["treeSize"]]
    assert leaf_hash(leaves[case["leafIdx"]]) == _b64(case["leafHash"])
    assert root_hash(leaves) == _b64(case["root"])
    assert inclusion_proof(leaves, case["leafIdx"]) == [_b64(p) for p in case["proof"] or []]


@pytest.mark.parametrize(
    "path", sorted(TESTDATA.glob("consistency/*/happy-path.json")), ids=_golden_id
)
def test_generators_reproduce_golden_consistency_happy_path(path: Path) -> None:
    case = _load(path)
    leaves = RFC6962_LEAVES[: case["size2"]]
    assert root_hash(leaves[: case["size1"]]) == _b64(case["root1"])
    assert root_hash(leaves) == _b64(case["root2"])
    assert consistency_proof(leaves, case["size1"]) == [_b64(p) for p in case["proof"] or []]


# --- hash primitives --------------------------------------------------------------


def test_hashes_use_rfc_domain_separation_prefixes() -> None:
    left, right = _sha256(b"l"), _sha256(b"r")
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"data") == _sha256(b"\x00data")
    assert node_hash(left, right) == _sha256(b"\x01" + left + right)
    assert root_hash([]) == EMPTY_ROOT
    assert root_hash([b"data"]) == leaf_hash(b"data")


# --- generators against the reference ---------------------------------------------


@SETTINGS
@given(leaf_lists)
def test_root_hash_equals_rfc_reference(leaves: list[bytes]) -> None:
    assert root_hash(leaves) == ref_mth(leaves)


@SETTINGS
@given(leaf_lists.filter(bool))
def test_inclusion_proof_of_every_leaf_equals_rfc_path_and_verifies(leaves: list[bytes]) -> None:
    root = ref_mth(leaves)
    for index, data in enumerate(leaves):
        proof = inclusion_proof(leaves, index)
        assert proof == ref_path(index, leaves)
        assert verify_inclusion(leaf_hash(data), index, len(leaves), proof, root)


@SETTINGS
@given(leaf_lists)
def test_consistency_proof_for_every_old_size_equals_rfc_subproof_and_verifies(
    leaves: list[bytes],
) -> None:
    new_root = ref_mth(leaves)
    for old_size in range(len(leaves) + 1):
        proof = consistency_proof(leaves, old_size)
        assert proof == ref_proof(old_size, leaves)
        old_root = ref_mth(leaves[:old_size])
        assert verify_consistency(old_size, len(leaves), old_root, new_root, proof)


def test_generators_reject_out_of_range_arguments() -> None:
    leaves = [b"a", b"b", b"c"]
    for index in (-1, 3, 4):
        with pytest.raises(ValueError, match="leaf index"):
            inclusion_proof(leaves, index)
    with pytest.raises(ValueError, match="leaf index"):
        inclusion_proof([], 0)
    for old_size in (-1, 4):
        with pytest.raises(ValueError, match="cannot prove"):
            consistency_proof(leaves, old_size)
    with pytest.raises(ValueError, match="negative"):
        root_from_store(-1, RecordingStore({}))


# --- verifiers reject tampering -------------------------------------------------------


@SETTINGS
@given(unique_leaf_lists, st.data())
def test_flipping_any_byte_of_inclusion_proof_leaf_or_root_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    size, root, leaf = len(leaves), ref_mth(leaves), leaf_hash(leaves[index])
    proof = inclusion_proof(leaves, index)
    position = data.draw(st.integers(0, 31))
    mask = data.draw(st.integers(1, 255))
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], position, mask), *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, bad, root)
    assert not verify_inclusion(flip(leaf, position, mask), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, position, mask))


@SETTINGS
@given(unique_leaf_lists.filter(lambda leaves: len(leaves) >= 2), st.data())
def test_flipping_any_byte_of_consistency_proof_or_root_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size - 1))
    old_root, new_root = ref_mth(leaves[:old_size]), ref_mth(leaves)
    proof = consistency_proof(leaves, old_size)
    position = data.draw(st.integers(0, 31))
    mask = data.draw(st.integers(1, 255))
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], position, mask), *proof[i + 1 :]]
        assert not verify_consistency(old_size, new_size, old_root, new_root, bad)
    bad_old, bad_new = flip(old_root, position, mask), flip(new_root, position, mask)
    assert not verify_consistency(old_size, new_size, bad_old, new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, bad_new, proof)


@SETTINGS
@given(unique_leaf_lists, st.data())
def test_inclusion_fails_for_shifted_index_or_doubled_or_halved_size(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    size, root, leaf = len(leaves), ref_mth(leaves), leaf_hash(leaves[index])
    proof = inclusion_proof(leaves, index)
    for other_index in (index - 1, index + 1, index ^ 2, 2**64 - 1):
        assert not verify_inclusion(leaf, other_index, size, proof, root)
    for other_size in (0, size * 2, size // 2, index):
        assert not verify_inclusion(leaf, index, other_size, proof, root)
    assert not verify_inclusion(leaf, index, size, [*proof, root], root)
    assert not verify_inclusion(leaf, index, size, [root, *proof], root)
    if proof:
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)


@SETTINGS
@given(unique_leaf_lists.filter(lambda leaves: len(leaves) >= 2), st.data())
def test_consistency_fails_for_shifted_sizes_swapped_roots_or_edited_proof(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size - 1))
    old_root, new_root = ref_mth(leaves[:old_size]), ref_mth(leaves)
    proof = consistency_proof(leaves, old_size)
    for other_old in (old_size - 1, old_size + 1, old_size ^ 2):
        assert not verify_consistency(other_old, new_size, old_root, new_root, proof)
    for other_new in (new_size * 2, new_size // 2, old_size - 1):
        assert not verify_consistency(old_size, other_new, old_root, new_root, proof)
    assert not verify_consistency(old_size, new_size, new_root, old_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, new_root, [])
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [proof[0], *proof])


@SETTINGS
@given(unique_leaf_lists, st.data())
def test_inclusion_for_any_other_index_and_size_verifies_only_if_proof_shape_is_identical(
    leaves: list[bytes], data: st.DataObject
) -> None:
    # The RFC verifier reads (index, size) only to decide on which side each
    # proof element goes; the root binds the size only through a signed tree
    # head. So another (index, size) verifies exactly when its PATH has the
    # same shape (leaf 0 of 3 leaves and of 4 leaves, for instance).
    index = data.draw(st.integers(0, len(leaves) - 1))
    size, root, leaf = len(leaves), ref_mth(leaves), leaf_hash(leaves[index])
    proof = inclusion_proof(leaves, index)
    other_size = data.draw(st.integers(1, 2 * size + 2))
    other_index = data.draw(st.integers(0, other_size - 1))
    same_shape = ref_path_shape(other_index, other_size) == ref_path_shape(index, size)
    verdict = verify_inclusion(leaf, other_index, other_size, proof, root)
    assert verdict is same_shape
    if other_size == size:
        assert verdict is (other_index == index)


@SETTINGS
@given(unique_leaf_lists.filter(lambda leaves: len(leaves) >= 2), st.data())
def test_consistency_for_any_other_sizes_verifies_only_if_proof_shape_is_identical(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size - 1))
    old_root, new_root = ref_mth(leaves[:old_size]), ref_mth(leaves)
    proof = consistency_proof(leaves, old_size)
    other_new = data.draw(st.integers(2, 2 * new_size + 2))
    other_old = data.draw(st.integers(1, other_new - 1))
    same_shape = ref_subproof_shape(other_old, other_new) == ref_subproof_shape(old_size, new_size)
    assert verify_consistency(other_old, other_new, old_root, new_root, proof) is same_shape


def test_rfc_verifiers_cannot_tell_apart_sizes_whose_proofs_have_the_same_shape() -> None:
    three = [b"a", b"b", b"c"]
    root = root_hash(three)
    proof = inclusion_proof(three, 0)
    assert verify_inclusion(leaf_hash(b"a"), 0, 3, proof, root)
    assert verify_inclusion(leaf_hash(b"a"), 0, 4, proof, root)
    old_root = root_hash(three[:1])
    proof = consistency_proof(three, 1)
    assert verify_consistency(1, 3, old_root, root, proof)
    assert verify_consistency(1, 4, old_root, root, proof)


# --- edge cases: sizes 0 and equal sizes --------------------------------------------


def test_consistency_from_empty_tree_needs_empty_proof_empty_root_and_a_hash() -> None:
    leaves = [b"a", b"b", b"c"]
    root = root_hash(leaves)
    assert consistency_proof(leaves, 0) == []
    assert verify_consistency(0, 3, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, root, [root])
    assert not verify_consistency(0, 3, root, root, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, root[:31], [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, None, [])  # type: ignore[arg-type]


def test_consistency_between_equal_sizes_needs_empty_proof_and_equal_roots() -> None:
    leaves = [b"a", b"b", b"c"]
    root = root_hash(leaves)
    assert consistency_proof(leaves, 3) == []
    assert verify_consistency(3, 3, root, root, [])
    assert not verify_consistency(3, 3, root, root, [root])
    assert not verify_consistency(3, 3, root, EMPTY_ROOT, [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, root, root, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


def test_inclusion_in_single_leaf_tree_has_empty_proof_and_root_equal_to_leaf_hash() -> None:
    assert inclusion_proof([b"x"], 0) == []
    assert verify_inclusion(leaf_hash(b"x"), 0, 1, [], leaf_hash(b"x"))
    assert not verify_inclusion(leaf_hash(b"x"), 0, 0, [], EMPTY_ROOT)


GOOD = leaf_hash(b"x")


@pytest.mark.parametrize(
    "args",
    [
        (GOOD, 0, 1, [], GOOD[:31]),
        (GOOD[:31], 0, 1, [], GOOD[:31]),
        (GOOD, -1, 1, [], GOOD),
        (GOOD, True, 2, [GOOD], GOOD),
        (GOOD, 0, 1.0, [], GOOD),
        (GOOD, "0", 1, [], GOOD),
        (GOOD, 0, 1, None, GOOD),
        (GOOD, 0, 1, GOOD, GOOD),
        (GOOD, 0, 2, [b"\x00" * 31], GOOD),
        (GOOD, 0, 2, ["0" * 32], GOOD),
        (bytearray(GOOD), 0, 1, [], GOOD),
        (None, None, None, None, None),
    ],
)
def test_verify_inclusion_returns_false_for_malformed_input(args: tuple[Any, ...]) -> None:
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        (1, 0, GOOD, GOOD, []),
        (-1, 1, EMPTY_ROOT, GOOD, []),
        (1, 2, GOOD, GOOD, None),
        (1, 2, GOOD, GOOD, [b"short"]),
        (1, 2, GOOD[:31], GOOD, [GOOD]),
        (1, 1, GOOD, None, []),
        (1.0, 1.0, GOOD, GOOD, []),
        (False, False, EMPTY_ROOT, EMPTY_ROOT, []),
        (None, None, None, None, None),
    ],
)
def test_verify_consistency_returns_false_for_malformed_input(args: tuple[Any, ...]) -> None:
    assert verify_consistency(*args) is False


_anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.binary(max_size=40),
    st.just(GOOD),
    st.lists(st.one_of(st.binary(min_size=32, max_size=32), st.none(), st.integers())),
)


@SETTINGS
@given(_anything, _anything, _anything, _anything, _anything)
def test_verifiers_never_raise_on_arbitrary_input(a: Any, b: Any, c: Any, d: Any, e: Any) -> None:
    assert isinstance(verify_inclusion(a, b, c, d, e), bool)
    assert isinstance(verify_consistency(a, b, c, d, e), bool)


# --- perfect subtrees and the store-backed path ---------------------------------------


def test_perfect_subtrees_splits_a_range_into_aligned_powers_of_two() -> None:
    assert perfect_subtrees(0, 1) == [(0, 0)]
    assert perfect_subtrees(0, 8) == [(3, 0)]
    assert perfect_subtrees(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_subtrees(8, 13) == [(2, 2), (0, 12)]


@pytest.mark.parametrize(("start", "end"), [(0, 0), (3, 3), (5, 2), (-1, 1), (1, 3), (2, 6)])
def test_perfect_subtrees_rejects_empty_or_unaligned_ranges(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=r"range|aligned"):
        perfect_subtrees(start, end)


def test_fold_subtrees_returns_a_single_hash_as_is_and_rejects_none() -> None:
    assert fold_subtrees([GOOD]) == GOOD
    assert fold_subtrees([EMPTY_ROOT, GOOD]) == node_hash(EMPTY_ROOT, GOOD)
    with pytest.raises(ValueError, match="empty"):
        fold_subtrees([])


@SETTINGS
@given(leaf_lists.filter(bool), st.data())
def test_every_proof_range_is_a_fold_of_contiguous_perfect_subtrees(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    old_size = data.draw(st.integers(0, size))
    store = ref_store(leaves)
    ranges = [(0, size), *inclusion_ranges(index, size), *consistency_ranges(old_size, size)]
    for start, end in ranges:
        keys = perfect_subtrees(start, end)
        position = start
        for level, key_index in keys:
            assert key_index << level == position
            position += 1 << level
        assert position == end
        levels = [level for level, _ in keys]
        assert levels == sorted(set(levels), reverse=True)
        assert fold_subtrees([store[key] for key in keys]) == ref_mth(leaves[start:end])


@SETTINGS
@given(leaf_lists.filter(bool))
def test_store_proofs_equal_rfc_proofs_with_one_fetch_of_logarithmic_size(
    leaves: list[bytes],
) -> None:
    size = len(leaves)
    store = ref_store(leaves)
    for index in range(size):
        fetch = RecordingStore(store)
        assert proof_from_store(inclusion_ranges(index, size), fetch) == ref_path(index, leaves)
        assert len(fetch.calls) == (1 if size > 1 else 0)
        assert all(len(keys) <= log_bound(size) for keys in fetch.calls)
    for old_size in range(size + 1):
        fetch = RecordingStore(store)
        ranges = consistency_ranges(old_size, size)
        assert proof_from_store(ranges, fetch) == ref_proof(old_size, leaves)
        assert len(fetch.calls) == (1 if ranges else 0)
        assert all(len(keys) <= log_bound(size) for keys in fetch.calls)
    fetch = RecordingStore(store)
    assert root_from_store(size, fetch) == ref_mth(leaves)
    assert len(fetch.calls) == 1
    assert len(fetch.calls[0]) == size.bit_count()


def test_log_bound_holds_for_every_proof_up_to_300_leaves() -> None:
    for size in range(1, 301):
        for index in range(size):
            keys = sum(len(perfect_subtrees(*r)) for r in inclusion_ranges(index, size))
            assert keys <= log_bound(size), (index, size)
        for old_size in range(size + 1):
            keys = sum(len(perfect_subtrees(*r)) for r in consistency_ranges(old_size, size))
            assert keys <= log_bound(size), (old_size, size)


def test_empty_proof_and_empty_tree_read_nothing_from_store() -> None:
    fetch = RecordingStore({})
    assert proof_from_store([], fetch) == []
    assert root_from_store(0, fetch) == EMPTY_ROOT
    assert fetch.calls == []


def test_store_missing_a_subtree_raises_key_error() -> None:
    store = ref_store([b"a", b"b", b"c"])
    del store[0, 2]
    with pytest.raises(KeyError, match="no hash"):
        proof_from_store(inclusion_ranges(0, 3), RecordingStore(store))


# --- the frontier ----------------------------------------------------------------------


@SETTINGS
@given(leaf_lists)
def test_frontier_emits_every_perfect_subtree_once_and_tracks_the_root(
    leaves: list[bytes],
) -> None:
    frontier = MerkleFrontier()
    assert frontier.root() == EMPTY_ROOT
    emitted: dict[tuple[int, int], bytes] = {}
    for index, data in enumerate(leaves):
        nodes = frontier.append(leaf_hash(data))
        assert nodes[0] == (0, index, leaf_hash(data))
        for level, key_index, digest in nodes:
            assert (level, key_index) not in emitted
            emitted[level, key_index] = digest
        assert frontier.size == index + 1
        assert frontier.root() == ref_mth(leaves[: index + 1])
    assert emitted == ref_store(leaves)
    # The frontier is the binary expansion of the size, highest bit first.
    expected, start = [], 0
    for level in reversed(range(len(leaves).bit_length())):
        if len(leaves) >> level & 1:
            expected.append(ref_mth(leaves[start : start + (1 << level)]))
            start += 1 << level
    assert frontier.hashes == expected


@SETTINGS
@given(leaf_lists)
def test_frontier_survives_bytes_round_trip_and_rebuild_from_store(leaves: list[bytes]) -> None:
    frontier = MerkleFrontier()
    for data in leaves:
        frontier.append(leaf_hash(data))
    assert MerkleFrontier.from_bytes(frontier.size, frontier.to_bytes()) == frontier
    fetch = RecordingStore(ref_store(leaves))
    assert MerkleFrontier.from_store(len(leaves), fetch) == frontier
    assert len(fetch.calls) == (1 if leaves else 0)
    # A restored frontier keeps growing like the original.
    restored = MerkleFrontier.from_bytes(frontier.size, frontier.to_bytes())
    assert restored.append(GOOD) == frontier.append(GOOD)
    assert restored.root() == frontier.root()


def test_frontier_rejects_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="perfect subtrees"):
        MerkleFrontier.from_bytes(3, GOOD)
    with pytest.raises(ValueError, match="whole number"):
        MerkleFrontier.from_bytes(1, GOOD[:31])
    with pytest.raises(ValueError, match="size"):
        MerkleFrontier(-1, [])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleFrontier().append(b"short")


# --- cross-check with pymerkle ------------------------------------------------------


def test_roots_agree_with_pymerkle_inmemory_tree() -> None:
    pymerkle = pytest.importorskip("pymerkle")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    # pymerkle is RFC 9162 compatible only in its default "security" mode
    # (0x00 / 0x01 prefixes, SHA-256 of b"" for the empty tree). If a version
    # changes that, a comparison would prove nothing, so skip instead.
    if (
        tree.hash_buff(b"x") != leaf_hash(b"x")
        or tree.hash_pair(GOOD, EMPTY_ROOT) != node_hash(GOOD, EMPTY_ROOT)
        or tree.get_root() != EMPTY_ROOT
    ):
        pytest.skip("this pymerkle does not hash as RFC 9162 does")
    leaves = [b"entry-%d" % i for i in range(70)]
    for size, data in enumerate(leaves, start=1):
        tree.append_entry(data)
        assert tree.get_root() == root_hash(leaves[:size])
    for size in range(len(leaves) + 1):
        assert tree.get_root(size) == root_hash(leaves[:size])


def test_push_leaf_grows_the_frontier_as_append_does() -> None:
    pushed, appended = MerkleFrontier(), MerkleFrontier()
    for index in range(70):
        data = index.to_bytes(4, "big") * (index % 5 + 1)
        pushed.push_leaf(data)
        appended.append(leaf_hash(data))
        assert (pushed.size, pushed.hashes) == (appended.size, appended.hashes)
    assert pushed.root() == root_hash([i.to_bytes(4, "big") * (i % 5 + 1) for i in range(70)])
