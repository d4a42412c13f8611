"""The C2SP witness core: cosigns only checkpoints consistent with what it cosigned."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from chain import merkle, notes
from chain.keys import NodeKey
from chain.witness import (
    SignerQuorum,
    Witness,
    WitnessError,
    WitnessState,
    parse_request,
    request_body,
)

ORIGIN = "riik.example/business"
LOG_KEY = NodeKey.generate("supernode-1")
KNOWN = {(LOG_KEY.name, LOG_KEY.key_id): LOG_KEY.public_bytes}


def _leaves(count: int, fork: str = "") -> list[bytes]:
    return [f"entry {i}{fork}".encode() for i in range(count)]


def _note(leaves: list[bytes], key: NodeKey = LOG_KEY, origin: str = ORIGIN) -> str:
    return key.sign_note(notes.checkpoint_body(origin, len(leaves), merkle.root_hash(leaves)))


def _submit(
    witness: Witness,
    old: list[bytes] | None,
    new: list[bytes],
    key: NodeKey = LOG_KEY,
    origin: str = ORIGIN,
) -> str:
    old_size = len(old) if old is not None else 0
    proof = merkle.consistency_proof(new, old_size) if 0 < old_size <= len(new) else []
    return witness.add_checkpoint(
        request_body(old_size, proof, _note(new, key, origin)), now=1700000000
    )


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    key = NodeKey.generate("citizen-witness")
    return Witness(key.name, key.private_key, {ORIGIN: KNOWN}, WitnessState(tmp_path / "s.json"))


def _status(
    witness: Witness,
    old: list[bytes] | None,
    new: list[bytes],
    key: NodeKey = LOG_KEY,
    origin: str = ORIGIN,
) -> int:
    with pytest.raises(WitnessError) as info:
        _submit(witness, old, new, key, origin)
    return info.value.status


def test_a_consistent_checkpoint_gets_a_cosignature_that_verifies(witness: Witness) -> None:
    first, second = _leaves(5), _leaves(9)
    _submit(witness, None, first)
    line = _submit(witness, first, second)
    body = notes.checkpoint_body(ORIGIN, 9, merkle.root_hash(second))
    _, (signature,) = notes.split_note(body + "\n" + line)
    public = witness.private_key.public_key()
    assert notes.verify_cosignature(body, signature, witness.name, public) == 1700000000
    # The vkey names signature type 0x04 and the cosigner key id.
    name, kid, material = witness.verifier_key().split("+", 2)
    assert (name, kid) == (witness.name, signature.key_id.hex())
    assert base64.b64decode(material)[0] == 0x04
    assert witness.state.read()[ORIGIN].size == 9


def test_a_forged_cosignature_does_not_verify(witness: Witness) -> None:
    line = _submit(witness, None, _leaves(3))
    other = notes.checkpoint_body(ORIGIN, 3, merkle.root_hash(_leaves(3, "x")))
    _, (signature,) = notes.split_note(other + "\n" + line)
    assert (
        notes.verify_cosignature(other, signature, witness.name, witness.private_key.public_key())
        is None
    )


def test_split_view_at_the_same_size_is_refused_with_409(witness: Witness) -> None:
    _submit(witness, None, _leaves(6))
    assert _status(witness, _leaves(6), _leaves(6, "fork")) == 409
    assert witness.state.read()[ORIGIN].root == merkle.root_hash(_leaves(6))


def test_split_view_that_does_not_extend_the_cosigned_log_is_refused_with_422(
    witness: Witness,
) -> None:
    _submit(witness, None, _leaves(6))
    forked = _leaves(6, "fork") + _leaves(4, "more")
    # The log proves consistency of its own fork; it does not match what was cosigned.
    assert _status(witness, _leaves(6, "fork"), forked) == 422
    assert witness.state.read()[ORIGIN].size == 6


def test_a_rolled_back_shorter_log_is_refused(witness: Witness) -> None:
    _submit(witness, None, _leaves(8))
    # Claiming the true old size is above the new checkpoint: 400 per C2SP.
    assert _status(witness, _leaves(8), _leaves(5)) == 400
    # Pretending the witness is at the shorter size: 409 with the witness's size.
    with pytest.raises(WitnessError) as info:
        _submit(witness, _leaves(3), _leaves(5))
    assert (info.value.status, info.value.latest_size) == (409, 8)
    assert witness.state.read()[ORIGIN].size == 8


def test_unknown_log_and_untrusted_signature_are_refused(witness: Witness) -> None:
    assert _status(witness, None, _leaves(2), origin="riik.example/elsewhere") == 404
    assert _status(witness, None, _leaves(2), key=NodeKey.generate("supernode-1")) == 403


@pytest.mark.parametrize(
    "body",
    [b"old 01\n\nx", b"new 1\n\nx", b"old 1\nnot base64!\n\nx", b"old 1\nAAAA\n\nx", b"old 0\n"],
)
def test_malformed_requests_are_refused_with_400(body: bytes) -> None:
    with pytest.raises(WitnessError) as info:
        parse_request(body)
    assert info.value.status == 400


SUPERNODE_KEYS = [NodeKey.generate(f"supernode-{i}") for i in range(1, 5)]
"""A board of four supernodes: a quorum is three of them."""


def _quorum_witness(tmp_path: Path, quorums: list[SignerQuorum]) -> Witness:
    key = NodeKey.generate("citizen-witness")
    known = {(k.name, k.key_id): k.public_bytes for k in SUPERNODE_KEYS}
    return Witness(
        key.name,
        key.private_key,
        {ORIGIN: known},
        WitnessState(tmp_path / "q.json"),
        quorum_of=lambda checkpoint: quorums,
    )


def _cosigned_by(leaves: list[bytes], signers: list[NodeKey]) -> str:
    body = notes.checkpoint_body(ORIGIN, len(leaves), merkle.root_hash(leaves))
    note = signers[0].sign_note(body)
    for key in signers[1:]:
        note = notes.add_signature(note, key.name, key.private_key)
    return note


def test_a_checkpoint_signed_by_one_supernode_of_four_is_refused(tmp_path: Path) -> None:
    keys = {(k.name, k.key_id): k.public_bytes for k in SUPERNODE_KEYS}
    witness = _quorum_witness(tmp_path, [SignerQuorum(keys)])
    leaves = _leaves(3)
    for signers in (SUPERNODE_KEYS[:1], SUPERNODE_KEYS[:2]):
        with pytest.raises(WitnessError) as info:
            witness.add_checkpoint(request_body(0, [], _cosigned_by(leaves, signers)), now=1)
        assert info.value.status == 403
        assert f"signed by {len(signers)} of the 3 supernodes" in info.value.message
    line = witness.add_checkpoint(
        request_body(0, [], _cosigned_by(leaves, SUPERNODE_KEYS[:3])), now=1
    )
    assert line.startswith("\u2014 citizen-witness ")


def test_the_quorum_counts_only_the_keys_valid_at_the_checkpoints_height(tmp_path: Path) -> None:
    # supernode-4 was revoked before this height: three members with a key,
    # and its signature (a key the witness knows) does not count.
    valid = {(k.name, k.key_id): k.public_bytes for k in SUPERNODE_KEYS[:3]}
    witness = _quorum_witness(tmp_path, [SignerQuorum(valid)])
    signed = _cosigned_by(_leaves(3), [SUPERNODE_KEYS[0], SUPERNODE_KEYS[3]])
    with pytest.raises(WitnessError) as info:
        witness.add_checkpoint(request_body(0, [], signed), now=1)
    assert "signed by 1 of the 3 supernodes" in info.value.message


def test_a_head_the_log_never_had_is_refused(tmp_path: Path) -> None:
    witness = _quorum_witness(tmp_path, [])
    signed = _cosigned_by(_leaves(3), SUPERNODE_KEYS)
    with pytest.raises(WitnessError) as info:
        witness.add_checkpoint(request_body(0, [], signed), now=1)
    assert info.value.status == 403
    assert "no final block of size 3" in info.value.message
