"""The pure replay of membership entries shared by the host and both verifiers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from chain.consensus.crypto import Signer
from chain.consensus.membership import (
    DelegateVote,
    ElectBoard,
    Genesis,
    MemberKey,
    RegisterEnterprise,
    RevokeKey,
    RotateKey,
    certify_change,
)
from chain.memberlog import MemberLog, MemberLogError, effective_height, entry_record
from chain.protocol import ACTIVATION_DELAY, activation_height, epoch_start

CHAIN = "riik-test"
SUPERNODES = [Signer.from_seed(f"supernode-{i}", b"memberlog") for i in range(1, 5)]
WITNESSES = [Signer.from_seed(f"witness-{i}", b"memberlog") for i in range(1, 4)]


def entry(
    change: Any, height: int, signers: Sequence[Signer], from_height: int | None = None
) -> dict[str, Any]:
    """The chain-log payload of ``change`` certified at ``height`` by ``signers``."""
    certificate = certify_change(CHAIN, change, height, signers)
    return entry_record(
        chain_id=CHAIN,
        change=change.record(),
        height=height,
        from_height=height + 1 if from_height is None else from_height,
        certificate=[vote.to_record() for vote in certificate.votes],
    )


def genesis(
    supernodes: Sequence[Signer] = SUPERNODES, witnesses: Sequence[Signer] = WITNESSES
) -> Genesis:
    return Genesis(
        supernodes=tuple(MemberKey.of(s) for s in supernodes),
        witnesses=tuple(MemberKey.of(s) for s in witnesses),
        board_size=2,
        epoch_length=1,
    )


def started() -> MemberLog:
    log = MemberLog(CHAIN)
    log.apply(entry(genesis(), 0, SUPERNODES), "seq 1")
    return log


@pytest.mark.parametrize(
    ("height", "epoch_length", "first"),
    [(0, 1, 2), (1, 1, 2), (7, 1, 8), (5, 10, 11), (10, 10, 11), (11, 10, 21)],
)
def test_a_change_takes_effect_at_the_first_block_of_the_next_epoch(
    height: int, epoch_length: int, first: int
) -> None:
    assert effective_height(height, epoch_length) == first


def test_the_genesis_lists_every_tier_from_its_first_block() -> None:
    log = started()
    assert sorted(name for name, _ in log.keys_at("supernode", 1)) == [s.name for s in SUPERNODES]
    assert log.board == ("witness-1", "witness-2", "witness-3")
    assert log.keys_at("supernode", 0) == {}


def test_a_rotation_ends_the_old_key_where_the_new_one_starts() -> None:
    log = started()
    new = Signer.from_seed("supernode-2", b"rotated")
    log.apply(
        entry(RotateKey("supernode", "supernode-2", new.public_key), 4, SUPERNODES[:3], 5), "s"
    )
    old = ("supernode", "supernode-2", SUPERNODES[1].key_id)
    assert log.history()[old] == ((1, 4),)
    assert log.history()[("supernode", "supernode-2", new.key_id)] == ((5, None),)
    assert ("supernode-2", SUPERNODES[1].key_id) in log.keys_at("supernode", 4)
    assert ("supernode-2", new.key_id) in log.keys_at("supernode", 5)


def test_a_certificate_below_the_quorum_of_its_height_is_refused() -> None:
    log = started()
    change = RegisterEnterprise("bank-1", b"\x01" * 32)
    with pytest.raises(MemberLogError, match=r"not certified by a supernode quorum \(2 of 3"):
        log.apply(entry(change, 1, SUPERNODES[:2], 2))


def test_a_rotated_key_no_longer_certifies_changes() -> None:
    log = started()
    new = Signer.from_seed("supernode-1", b"rotated")
    log.apply(entry(RotateKey("supernode", "supernode-1", new.public_key), 1, SUPERNODES[:3], 2))
    change = RegisterEnterprise("bank-1", b"\x01" * 32)
    with pytest.raises(MemberLogError, match=r"\(2 of 3 valid signatures\)"):
        log.apply(entry(change, 2, SUPERNODES[:3], 3))
    log.apply(entry(change, 2, [new, *SUPERNODES[1:3]], 3))


def test_the_first_block_must_follow_from_the_certificate_height() -> None:
    log = started()
    change = RegisterEnterprise("bank-1", b"\x01" * 32)
    with pytest.raises(MemberLogError, match="takes effect from block 2, not 4"):
        log.apply(entry(change, 3, SUPERNODES, 2))


def test_changes_are_replayed_in_height_order() -> None:
    log = started()
    log.apply(entry(RegisterEnterprise("bank-1", b"\x01" * 32), 5, SUPERNODES, 6))
    with pytest.raises(MemberLogError, match="before the previous change"):
        log.apply(entry(RegisterEnterprise("bank-2", b"\x02" * 32), 4, SUPERNODES, 5))


def test_nothing_but_a_genesis_starts_the_log_and_only_for_its_chain() -> None:
    with pytest.raises(MemberLogError, match="register-enterprise before the genesis"):
        MemberLog(CHAIN).apply(entry(RegisterEnterprise("bank-1", b"\x01" * 32), 1, SUPERNODES))
    with pytest.raises(MemberLogError, match="signed for chain 'riik-test'"):
        MemberLog("other").apply(entry(genesis(), 0, SUPERNODES))


def test_the_board_is_recomputed_from_the_delegated_votes() -> None:
    log = started()
    bank = Signer.from_seed("bank-1", b"memberlog")
    height = 1
    for change in (
        RegisterEnterprise("bank-1", bank.public_key),
        DelegateVote("witness-1", "bank-1"),
        DelegateVote("witness-2", "bank-1"),
        DelegateVote("bank-1", "witness-3"),
    ):
        log.apply(entry(change, height, SUPERNODES, height + 1))
    with pytest.raises(MemberLogError, match=r"does not match the delegated votes"):
        log.apply(entry(ElectBoard(("bank-1", "witness-1")), 1, SUPERNODES, 2))
    log.apply(entry(ElectBoard(("bank-1", "witness-3")), 1, SUPERNODES, 2))
    assert log.board == ("bank-1", "witness-3")
    history = log.history()
    assert history[("witness", "witness-1", WITNESSES[0].key_id)] == ((1, 1),)
    assert history[("witness", "bank-1", bank.key_id)] == ((2, None),)
    assert history[("witness", "witness-3", WITNESSES[2].key_id)] == ((1, None),)


def test_a_member_re_elected_with_the_same_key_gets_a_second_range() -> None:
    log = started()
    log.apply(entry(DelegateVote("witness-1", "witness-2"), 1, SUPERNODES, 2))
    log.apply(entry(ElectBoard(("witness-2",)), 1, SUPERNODES, 2))
    log.apply(entry(DelegateVote("witness-2", "witness-1"), 3, SUPERNODES, 4))
    log.apply(entry(ElectBoard(("witness-1", "witness-2")), 3, SUPERNODES, 4))
    assert log.history()[("witness", "witness-1", WITNESSES[0].key_id)] == ((1, 1), (4, None))


def test_a_revoked_key_stops_and_the_last_supernode_key_cannot_be_revoked() -> None:
    log = MemberLog(CHAIN)
    log.apply(entry(genesis(SUPERNODES[:2]), 0, SUPERNODES[:2]))
    log.apply(
        entry(RevokeKey("supernode", "supernode-2", SUPERNODES[1].key_id), 2, SUPERNODES[:2], 3)
    )
    assert list(log.keys_at("supernode", 3)) == [("supernode-1", SUPERNODES[0].key_id)]
    with pytest.raises(MemberLogError, match="no supernode would be left"):
        log.apply(
            entry(RevokeKey("supernode", "supernode-1", SUPERNODES[0].key_id), 3, SUPERNODES[:1], 4)
        )


def test_a_new_genesis_needs_the_outgoing_quorum_and_keeps_continuing_keys() -> None:
    local = SUPERNODES[:1]
    log = MemberLog(CHAIN)
    log.apply(entry(genesis(local, ()), 0, local))
    switch = genesis(SUPERNODES[:3], WITNESSES)
    newcomers = SUPERNODES[1:3]
    with pytest.raises(
        MemberLogError, match=r"genesis not certified by a supernode quorum \(0 of 1"
    ):
        log.apply(entry(switch, 2, newcomers, 3))
    log.apply(entry(switch, 2, SUPERNODES[:3], 3))
    history = log.history()
    assert history[("supernode", "supernode-1", SUPERNODES[0].key_id)] == ((1, None),)
    assert history[("supernode", "supernode-2", SUPERNODES[1].key_id)] == ((3, None),)
    assert history[("witness", "witness-1", WITNESSES[0].key_id)] == ((3, None),)
    assert log.era_from == 3


def test_the_header_history_must_state_exactly_the_certified_ranges() -> None:
    log = started()
    s1 = ("supernode", "supernode-1", SUPERNODES[0].key_id)
    header: dict[tuple[str, str, bytes], list[tuple[int, int | None]]] = {
        key: [(start, end) for start, end in spans] for key, spans in log.history().items()
    }
    assert log.compare(header) is None
    # A chain recorded its genesis after its first blocks: keys listed from earlier are fine.
    assert log.compare({**header, s1: [(1, None)]}) is None
    stranger = ("witness", "witness-9", b"\x00\x01\x02\x03")
    assert "no certified membership entry introduces this key" in str(
        log.compare({**header, stranger: [(1, None)]})
    )
    missing = {key: spans for key, spans in header.items() if key != s1}
    assert f"supernode supernode-1+{SUPERNODES[0].key_id.hex()} for blocks 1.." in str(
        log.compare(missing)
    )
    log.apply(
        entry(RevokeKey("supernode", "supernode-1", SUPERNODES[0].key_id), 4, SUPERNODES, 5),
        "seq 9",
    )
    assert "but seq 9 (revoke-key) ended it at block 4" in str(log.compare(header))


@pytest.mark.parametrize(
    ("height", "epoch_length", "start"),
    [(1, 1, 1), (2, 1, 2), (1, 10, 1), (2, 10, 11), (11, 10, 11), (12, 10, 21)],
)
def test_epoch_start_is_the_first_block_of_an_epoch_at_or_after_a_height(
    height: int, epoch_length: int, start: int
) -> None:
    assert epoch_start(height, epoch_length) == start


@pytest.mark.parametrize(
    ("sealed_at", "first"),
    [(None, 11), (10, 11), (11, 11), (12, 21), (20, 21), (21, 31)],
)
def test_an_entry_sealed_after_its_first_block_is_deferred_to_a_later_epoch(
    sealed_at: int | None, first: int
) -> None:
    assert ACTIVATION_DELAY == 1
    assert activation_height(11, sealed_at, 10) == first
    log = MemberLog(CHAIN)
    ten = Genesis(
        supernodes=tuple(MemberKey.of(s) for s in SUPERNODES),
        witnesses=tuple(MemberKey.of(s) for s in WITNESSES),
        board_size=2,
        epoch_length=10,
    )
    log.apply(entry(ten, 0, SUPERNODES), "seq 1")
    new = Signer.from_seed("supernode-2", b"rotated")
    rotate = RotateKey("supernode", "supernode-2", new.public_key)
    log.apply(entry(rotate, 9, SUPERNODES[:3], 11), "seq 2", sealed_at=sealed_at)
    # The blocks before the first block keep the old key: never re-judged.
    assert ("supernode-2", SUPERNODES[1].key_id) in log.keys_at("supernode", first - 1)
    assert ("supernode-2", new.key_id) not in log.keys_at("supernode", first - 1)
    assert ("supernode-2", new.key_id) in log.keys_at("supernode", first)
    # A later change never applies before a deferred one.
    log.apply(
        entry(RevokeKey("witness", "witness-3", WITNESSES[2].key_id), 10, SUPERNODES[:3], 11),
        "seq 3",
    )
    assert ("witness-3", WITNESSES[2].key_id) in log.keys_at("witness", first - 1)
    assert ("witness-3", WITNESSES[2].key_id) not in log.keys_at("witness", first)
