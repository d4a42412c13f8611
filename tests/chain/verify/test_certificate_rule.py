"""One certificate rule: distinct signers, keys valid at the height, one round per certificate."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chain import notes
from chain.certificates import OFF_ROUND, Signature, count_certificate, quorum_at
from chain.encoding import block_hash, canonical, vote_message
from chain.keys import NodeKey
from chain.protocol import CHAIN_LOG, ROTATE_TOPIC
from chain.verify import ChainVerifier, Report, VerificationFailure, verify_stream
from tests.chain import bundle_factory as bf


def _run(bundle: bf.Bundle) -> Report:
    return verify_stream(io.BytesIO(b"".join(bundle.lines())), ChainVerifier())


def _failure(bundle: bf.Bundle) -> str:
    with pytest.raises(VerificationFailure) as info:
        _run(bundle)
    return info.value.message


def _vote(
    key: NodeKey, header: dict[str, Any], tier: str, kind: str, vote_round: int
) -> dict[str, Any]:
    message = vote_message(
        chain_id=header["chain_id"],
        tier=tier,
        kind=kind,
        height=header["height"],
        round=vote_round,
        block_hash=block_hash(header),
    )
    return {
        "signer": key.name,
        "key_id": key.key_id.hex(),
        "alg": "ed25519",
        "round": vote_round,
        "signature": key.sign(message).hex(),
    }


@pytest.mark.parametrize("rounds", [(1, 1, 1), (7, 7, 7), (0, 0, 1), (0, 7, 0)])
def test_a_finalize_vote_signed_outside_round_zero_fails_naming_block_and_signer(
    rounds: tuple[int, int, int],
) -> None:
    bundle = bf.standard_bundle()
    block = bundle.block(1)
    block["certificate"] = [
        _vote(key, block["header"], "supernode", "finalize", r)
        for key, r in zip(bundle.keys, rounds, strict=False)
    ]
    first = next(n for n, r in enumerate(rounds) if r != 0)
    signer = bundle.keys[first]
    message = _failure(bundle)
    assert message.startswith(
        f"block 1: signature {first + 1} by {signer.name}+{signer.key_id.hex()}: finalize signed "
        f"in round {rounds[first]}"
    )


def test_a_finalize_vote_for_round_one_beside_a_round_zero_quorum_still_fails() -> None:
    bundle = bf.standard_bundle()
    block = bundle.block(2)
    block["certificate"].append(_vote(bundle.keys[3], block["header"], "supernode", "finalize", 1))
    assert "block 2: signature 4 by supernode-4" in _failure(bundle)


def _with_witnesses(bundle: bf.Bundle, witnesses: list[NodeKey], quorum: int) -> None:
    bundle.records[0]["witnesses"] = [
        {"name": k.name, "public_key": k.public_bytes.hex(), "key_id": k.key_id.hex()}
        for k in witnesses
    ]
    bundle.records[0]["witness_quorum"] = quorum


def test_witness_precommits_of_two_rounds_are_not_one_certificate() -> None:
    # An honest schedule: the board commits X in round 3 while Y holds valid
    # precommits from rounds 0 and 2; three of four across rounds is no quorum.
    bundle = bf.standard_bundle()
    witnesses = bf.make_keys(4, "witness")
    _with_witnesses(bundle, witnesses, 3)
    for height in (1, 2, 3):
        block = bundle.block(height)
        rounds = (0, 2, 2) if height == 2 else (2, 2, 2)
        block["witness_certificate"] = [
            _vote(key, block["header"], "witness", "precommit", r)
            for key, r in zip(witnesses, rounds, strict=False)
        ]
    report = _run(bundle)
    assert report.levels["committed"] == 2
    assert any("witness-1's precommit of another round than 2" in s for s in report.ignored_samples)


def test_count_certificate_takes_the_best_round_and_counts_signers_once() -> None:
    keys = bf.make_keys(4)
    table = {(k.name, k.key_id): k.public_bytes for k in keys}

    def message(r: int) -> bytes:
        return f"statement round {r}".encode()

    def sign(key: NodeKey, r: int) -> Signature:
        return Signature(key.name, key.key_id, r, key.sign(message(r)))

    votes = [sign(keys[0], 0), sign(keys[0], 0), sign(keys[1], 2), sign(keys[2], 2)]
    tally = count_certificate(votes, table, message)
    assert (tally.round, tally.signers, tally.other_rounds) == (
        2,
        frozenset({"supernode-2", "supernode-3"}),
        frozenset({"supernode-1"}),
    )
    fixed = count_certificate(votes, table, message, fixed_round=0)
    assert fixed.signers == frozenset({"supernode-1"})
    assert [r.reason for r in fixed.refused] == [OFF_ROUND, OFF_ROUND]
    assert all(r.verified for r in fixed.refused)


def test_quorum_counts_only_members_with_a_key_at_that_height() -> None:
    assert quorum_at([("a", b"1"), ("a", b"2"), ("b", b"3"), ("c", b"4"), ("d", b"5")]) == 3
    assert quorum_at([]) == 1


def _legacy_rotation(keys: list[NodeKey], signers: list[NodeKey]) -> bytes:
    new = bf.make_keys(1, "supernode-new")[0]
    change = {
        "change": "rotate-key",
        "chain_id": bf.CHAIN_ID,
        "tier": "supernode",
        "name": keys[0].name,
        "old_key_id": keys[0].key_id.hex(),
        "public_key": new.public_bytes.hex(),
        "key_id": notes.key_id(keys[0].name, new.public_bytes).hex(),
        "from_height": 2,
    }
    signed = canonical(change)
    certificate = [
        {
            "signer": k.name,
            "key_id": k.key_id.hex(),
            "alg": "ed25519",
            "signature": k.sign(signed).hex(),
        }
        for k in signers
    ]
    return canonical({**change, "certificate": certificate})


@pytest.mark.parametrize(("count", "error"), [(3, None), (2, "2 valid supernode signatures")])
def test_a_key_rotation_of_the_old_format_counts_distinct_valid_signers(
    count: int, error: str | None
) -> None:
    keys = bf.make_keys(4)
    signers = keys[:count] + keys[:1]  # a signer listed twice counts once
    bundle = bf.build_bundle(
        {"business": [b"one"], CHAIN_LOG: [_legacy_rotation(keys, signers)]},
        [{"business": 1, CHAIN_LOG: 1}],
        keys=keys,
        topics={(CHAIN_LOG, 1): ROTATE_TOPIC},
    )
    if error is None:
        assert len(_run(bundle).rotations) == 1
    else:
        assert error in _failure(bundle)
