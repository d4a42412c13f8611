"""The verifier on bundles with witness and citizen certificates (the devnet finalizer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from chain.blocks.sealing import seal_pending
from chain.encoding import vote_message
from chain.export import bundle_records
from chain.keys import NodeKey
from chain.verify import ChainVerifier, Report, VerificationFailure
from tests.factories import register_company

Blocks = list[dict[str, Any]]


@pytest.fixture
def two_tiered_blocks(event_store: None) -> None:
    with override_settings(RIIK_CONSENSUS="devnet"):
        for _ in range(2):
            register_company()
            seal_pending()


def verify(change: Callable[[Blocks], None] | None = None) -> Report:
    records = list(bundle_records())
    blocks = [r for r in records if isinstance(r, dict) and r.get("type") == "block"]
    if change is not None:
        change(blocks)
    verifier = ChainVerifier()
    for record in records:
        verifier.feed(record)
    return verifier.finish(require_end=True)


def _flip(signature_hex: str) -> str:
    raw = bytearray(bytes.fromhex(signature_hex))
    raw[0] ^= 1
    return raw.hex()


@pytest.mark.usefixtures("two_tiered_blocks")
def test_header_lists_every_tier_and_blocks_are_witnessed() -> None:
    records = list(bundle_records())
    header = records[0]
    assert isinstance(header, dict)
    assert [len(header[k]) for k in ("supernodes", "witnesses", "citizens")] == [4, 4, 3]
    assert (header["quorum"], header["witness_quorum"], header["citizen_threshold"]) == (3, 3, 2)
    report = verify()
    assert report.levels == {"committed": 2, "witnessed": 2}
    assert report.level_runs == [(1, 2, "witnessed")]
    assert report.ignored_signatures == 0
    assert any(line.startswith("levels: 1..2 witnessed") for line in report.summary_lines())


@pytest.mark.usefixtures("two_tiered_blocks")
def test_a_forged_witness_precommit_does_not_count() -> None:
    def forge(blocks: Blocks) -> None:
        certificate = blocks[0]["witness_certificate"]
        certificate[0]["signature"] = _flip(certificate[0]["signature"])
        del certificate[1]  # 2 valid of the 3 needed

    report = verify(forge)
    assert report.levels == {"committed": 1, "witnessed": 2}
    assert report.ignored_signatures == 1
    assert "witness signature 1 by witness-1" in report.ignored_samples[0]


@pytest.mark.usefixtures("two_tiered_blocks")
def test_a_citizen_cosignature_by_an_unknown_key_does_not_count() -> None:
    def forge(blocks: Blocks) -> None:
        block = blocks[0]
        stranger = NodeKey.generate("citizen-1")  # the right name, another key
        message = vote_message(
            chain_id=settings.RIIK_CHAIN_ID,
            tier="citizen",
            kind="cosign",
            height=1,
            round=block["round"],
            block_hash=bytes.fromhex(block["block_hash"]),
        )
        block["citizen_certificate"] = [
            {
                "signer": "citizen-1",
                "key_id": stranger.key_id.hex(),
                "alg": "ed25519",
                "signature": stranger.sign(message).hex(),
            },
            block["citizen_certificate"][1],
        ]

    report = verify(forge)
    assert report.level_runs == [(1, 1, "final"), (2, 2, "witnessed")]
    assert report.ignored_signatures == 1
    assert "unknown key" in report.ignored_samples[0]


@pytest.mark.usefixtures("two_tiered_blocks")
def test_signatures_of_another_tier_never_count() -> None:
    def misplace(blocks: Blocks) -> None:
        # Supernode finalize votes presented as citizen cosignatures.
        blocks[1]["citizen_certificate"] = blocks[1]["certificate"]

    report = verify(misplace)
    assert report.level_runs == [(1, 1, "witnessed"), (2, 2, "final")]
    assert report.ignored_signatures == 4


@pytest.mark.usefixtures("two_tiered_blocks")
def test_witnesses_and_citizens_do_not_replace_the_supernode_quorum() -> None:
    def strip(blocks: Blocks) -> None:
        blocks[1]["certificate"] = blocks[1]["certificate"][:2]

    with pytest.raises(VerificationFailure, match="block 2: missing supernode quorum"):
        verify(strip)
