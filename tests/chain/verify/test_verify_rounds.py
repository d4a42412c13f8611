"""Each stored signature carries the round it was cast in, and the verifier uses it."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chain.verify import ChainVerifier, VerificationFailure, verify_stream
from tests.chain import bundle_factory as bf


def _resign_in_round(bundle: bf.Bundle, vote_round: int, *, name_round: bool) -> None:
    """Re-sign every certificate as if the block was decided in ``vote_round``."""
    for record in bundle.records:
        if record["type"] != "block":
            continue
        signers = bundle.keys[: bundle.quorum]
        certificate: list[dict[str, Any]] = bf.certificate(record["header"], signers, vote_round)
        if name_round:
            for signature in certificate:
                signature["round"] = vote_round
        record["certificate"] = certificate


def _verify(bundle: bf.Bundle) -> Any:
    return verify_stream(io.BytesIO(b"".join(bundle.lines())), ChainVerifier())


def test_finalize_votes_of_round_one_fail_even_when_each_signature_names_its_round() -> None:
    # Nodes sign finalize votes in protocol.FINALIZE_ROUND only (issue 15).
    bundle = bf.standard_bundle()
    _resign_in_round(bundle, 1, name_round=True)
    with pytest.raises(
        VerificationFailure, match=r"block 1: signature 1 by supernode-1.*in round 1"
    ):
        _verify(bundle)


def test_round_one_signatures_checked_as_round_zero_do_not_count() -> None:
    bundle = bf.standard_bundle()
    _resign_in_round(bundle, 1, name_round=False)
    with pytest.raises(VerificationFailure, match="block 1: missing supernode quorum"):
        _verify(bundle)


def test_a_signature_with_a_malformed_round_is_ignored_not_counted() -> None:
    bundle = bf.standard_bundle()
    _resign_in_round(bundle, 0, name_round=True)
    block = next(r for r in bundle.records if r["type"] == "block")
    block["certificate"][0]["round"] = "0"
    with pytest.raises(VerificationFailure, match=r"block 1: missing supernode quorum \(2 of 3"):
        _verify(bundle)
