"""A citizen's replica keeps its Merkle state incrementally and agrees with the whole-log hash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import merkle
from chain.consensus.citizen import MemoryStore, PrefixStore, Replica

leaf_lists = st.lists(st.binary(max_size=12), max_size=70)
batches = st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=20)


def _fill(replica: Replica, leaves: list[bytes], cuts: list[int]) -> None:
    """Append ``leaves`` in batches of the sizes in ``cuts`` (the rest in one last batch)."""
    position = 0
    for cut in cuts:
        replica.append("business", leaves[position : position + cut])
        position = min(len(leaves), position + cut)
    replica.append("business", leaves[position:])


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, cuts=batches, data=st.data())
def test_a_memory_replica_has_the_roots_and_proofs_of_the_whole_log(
    leaves: list[bytes], cuts: list[int], data: st.DataObject
) -> None:
    replica = Replica()
    _fill(replica, leaves, cuts)
    assert replica.size("business") == len(leaves)
    assert replica.root("business", len(leaves)) == merkle.root_hash(leaves)
    size = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="earlier size")
    assert replica.root("business", size) == merkle.root_hash(leaves[:size])
    if size:
        seq = data.draw(st.integers(min_value=1, max_value=size), label="seq")
        held = replica.prove("business", seq, size)
        assert held == (leaves[seq - 1], tuple(merkle.inclusion_proof(leaves[:size], seq - 1)))


@settings(max_examples=40, deadline=None)
@given(leaves=leaf_lists, cuts=batches)
def test_a_replica_restarted_on_its_store_goes_on_from_the_stored_frontier(
    leaves: list[bytes], cuts: list[int]
) -> None:
    first = Replica()
    _fill(first, leaves[: len(leaves) // 2], cuts)
    again = Replica(store=first.store)
    again.append("business", leaves[len(leaves) // 2 :])
    assert again.root("business", len(leaves)) == merkle.root_hash(leaves)


@settings(max_examples=40, deadline=None)
@given(leaves=leaf_lists, cuts=batches)
def test_a_prefix_replica_over_a_held_copy_has_the_roots_of_what_it_checked(
    leaves: list[bytes], cuts: list[int]
) -> None:
    base = Replica(dict(business=leaves)).store
    replica = Replica(store=PrefixStore(base))
    _fill(replica, leaves, cuts)
    assert replica.root("business", len(leaves)) == merkle.root_hash(leaves)
    half = len(leaves) // 2
    restored = Replica(store=PrefixStore(base, {"business": half}))
    assert restored.root("business", half) == merkle.root_hash(leaves[:half])
    assert restored.prove("business", half + 1, half + 1) is None, "beyond what it checked"


def test_a_store_refuses_leaves_that_would_leave_a_gap() -> None:
    with pytest.raises(ValueError, match="gap"):
        MemoryStore().keep("business", 3, [b"d"], [])
    with pytest.raises(ValueError, match="gap"):
        PrefixStore(MemoryStore()).keep("business", 1, [b"b"], [])


def test_the_root_of_a_size_not_held_is_refused() -> None:
    replica = Replica({"business": [b"a", b"b"]})
    with pytest.raises(ValueError, match="holds 2"):
        replica.root("business", 3)
