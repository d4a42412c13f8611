"""Votes sign exactly chain.encoding.vote_message; every message survives its wire record."""

from __future__ import annotations

import io
import json

import pytest

from chain.consensus.crypto import Signer
from chain.consensus.messages import (
    NIL_HASH,
    Block,
    CosignConflict,
    CosignRequest,
    Message,
    MessageFormatError,
    StorageChallenge,
    StorageProof,
    SyncRequest,
    message_from_record,
    message_to_record,
)
from chain.encoding import block_hash, vote_message
from chain.verify import ChainVerifier, verify_stream
from tests.chain.bundle_factory import build_bundle
from tests.chain.consensus.helpers import (
    CHAIN,
    S,
    W,
    block,
    final_block,
    proposal,
    qc,
    vote,
    witness_commit,
)


def test_a_vote_signs_exactly_the_vote_message() -> None:
    blk = block()
    v = vote(S[0], "finalize", 1, 0, blk.hash)
    message = vote_message(
        chain_id=CHAIN, tier="supernode", kind="finalize", height=1, round=0, block_hash=blk.hash
    )
    assert v.signed_bytes() == message
    S[0]._private.public_key().verify(v.signature, message)
    assert v.key_id == S[0].key_id
    assert v.alg == "ed25519"


def test_a_nil_vote_signs_32_zero_bytes() -> None:
    v = vote(W[0], "prevote", 3, 1, None)
    assert v.is_nil
    assert v.signed_bytes() == vote_message(
        chain_id=CHAIN, tier="witness", kind="prevote", height=3, round=1, block_hash=NIL_HASH
    )


def test_block_hash_is_recomputed_from_the_header_bytes_or_hex() -> None:
    blk = block()
    with_bytes = dict(blk.header, prev_hash=bytes(32))
    assert Block.from_header(with_bytes).hash == blk.hash == block_hash(blk.header)
    assert blk.height == 1
    assert blk.prev_hash == bytes(32)
    assert blk.proposer == "witness-2"


def test_every_message_round_trips_through_json() -> None:
    blk = block()
    messages: list[Message] = [
        vote(W[0], "prevote", 1, 0, blk.hash),
        vote(W[0], "precommit", 1, 2, None),
        proposal(W[1], blk, round=1, pol_round=0, pol=qc(W[:3], "prevote", 1, 0, blk)),
        witness_commit(blk),
        final_block(blk),
        CosignRequest(final_block(blk), {"business": 0}, {"business": (bytes(32),)}),
        CosignConflict(0, {"business": 0}),
        StorageChallenge(7, "business", 1, 1, bytes(32)),
        StorageProof(7, "business", 1, 1, b"leaf", (bytes(32),)),
        SyncRequest(4),
    ]
    for message in messages:
        record = json.loads(json.dumps(message_to_record(message)))
        assert message_from_record(record) == message


@pytest.mark.parametrize(
    "record",
    [
        {"type": "nope", "body": {}},
        {"type": "vote", "body": {"tier": "king"}},
        {"type": "sync", "body": {"from_height": 0}},
        {"type": "vote", "body": {**vote(W[0], "prevote", 1, 0, None).to_record(), "key_id": "AB"}},
    ],
)
def test_malformed_records_are_refused(record: dict[str, object]) -> None:
    with pytest.raises(MessageFormatError):
        message_from_record(record)


def test_a_consensus_finalize_certificate_is_what_the_standalone_verifier_accepts() -> None:
    bundle = build_bundle({"business": [b"a", b"b"]}, [{"business": 1}, {"business": 2}])
    keys = {key.name: key for key in bundle.keys}
    signers = [Signer.from_node_key(keys[name]) for name in sorted(keys)[:3]]
    for record in bundle.records:
        if record["type"] != "block":
            continue
        blk = Block.from_header(record["header"])
        certificate = qc(signers, "finalize", blk.height, 0, blk, "supernode")
        record["certificate"] = certificate.to_records()
        record["round"] = certificate.round
    stream = io.BytesIO(b"".join(bundle.lines()))
    report = verify_stream(stream, ChainVerifier())
    assert report.blocks == 2
    assert report.ignored_signatures == 0
