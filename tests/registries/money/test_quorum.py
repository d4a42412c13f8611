"""What the central bank is told when a cluster's supernodes do not certify an act
(registries.money.quorum.collect in cluster mode; no database, no broker: the
broker's side is chain.blocks.cluster.acts, tested in tests/chain/cluster/)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chain.blocks.cluster.acts import ActQuorumError, Certified
from registries.money import quorum
from registries.money.domain import ActRefusedBySupernodes, QuorumUnavailable

ACT = b'{"act":"issue"}'


def answered(monkeypatch: pytest.MonkeyPatch, outcome: Certified | ActQuorumError) -> None:
    def certify_act(kind: str, message: bytes) -> Certified:
        assert (kind, message) == (quorum.KIND, ACT)
        if isinstance(outcome, ActQuorumError):
            raise outcome
        return outcome

    monkeypatch.setattr(quorum, "certify_act", certify_act)


@override_settings(RIIK_CONSENSUS="cluster")
def test_a_cluster_host_takes_the_supernode_nodes_votes_as_the_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    votes = [{"signer": "supernode-1", "key_id": "ab", "round": 0, "signature": "cd"}]
    answered(monkeypatch, Certified(7, votes))
    assert quorum.collect(ACT) == quorum.Certificate(7, votes)


@override_settings(RIIK_CONSENSUS="cluster")
def test_silent_supernodes_are_a_503_that_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    answered(monkeypatch, ActQuorumError(2, 3, {}, ["supernode-3", "supernode-4"], 15.0))
    with pytest.raises(QuorumUnavailable) as refused:
        quorum.collect(ACT)
    assert refused.value.status == 503
    assert str(refused.value) == (
        "certificate: no supernode quorum within 15 s (2 of the 3 votes a quorum needs; "
        "no answer from supernode-3, supernode-4; refused: -)"
    )


@override_settings(RIIK_CONSENSUS="cluster")
def test_refusing_supernodes_are_a_409_with_their_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    reasons = {"supernode-1": "act eur-1 was certified with other terms", "supernode-2": "x"}
    answered(monkeypatch, ActQuorumError(1, 3, reasons, ["supernode-3"]))
    with pytest.raises(ActRefusedBySupernodes) as refused:
        quorum.collect(ACT)
    assert refused.value.status == 409
    assert str(refused.value) == (
        "certificate: refused by the supernodes (1 of the 3 votes a quorum needs): "
        "supernode-1: act eur-1 was certified with other terms; supernode-2: x"
    )
