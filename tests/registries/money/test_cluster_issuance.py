"""The central bank issues on a real cluster: the supernode nodes certify the act over
the broker, money moves and becomes final, and both verifiers check the books.

4 supernodes, 4 witnesses and 2 citizens as worker processes on the broker
named by ``CELERY_BROKER_URL`` (tests/chain/cluster/support.py); this test's
process is the registry host (its node key signs the act proposals; the
nodes know its public key). One cluster start serves the whole story and the
refusals, which is what costs the time. Runs only with ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from chain.blocks.cluster import acts, nodedb, transport
from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.models import FINAL, WITNESSED, Block, BlockLog
from chain.consensus.crypto import Signer
from chain.ledger.models import LedgerHead
from chain.verify.money import ACT_KIND
from registries.money.models import ActRecord
from tests.chain.cluster.support import running_cluster, wait_for
from tests.chain.verifiers import verify_both
from tests.registries.access.citizens import problem
from tests.registries.money.helpers import (
    app,
    balance,
    bank,
    bank_client,
    central_bank,
    citizen,
    citizen_client,
    new_payment_id,
    pay_unsigned,
    run,
    signed,
)

pytestmark = [
    pytest.mark.broker,
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL"),
]

MONEY = "/api/v1/money/"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    # Started after the money tests' own key folder (conftest): this process's
    # node key is the host key the nodes are given.
    for started in running_cluster(tmp_path):
        with override_settings(
            RIIK_CONSENSUS="cluster",
            RIIK_GENESIS_FILE=str(started.genesis),
            RIIK_CLUSTER_PREFIX=started.prefix,
        ):
            yield started


def asked(central: APIClient, act: str, act_id: str, wallet: str, cents: int) -> Any:
    """``supply/act-certificate/``: the central bank asks the cluster's supernodes."""
    return central.post(
        f"{MONEY}supply/act-certificate/",
        {"act": act, "act_id": act_id, "wallet": wallet, "amount_cents": cents},
        format="json",
    )


def money_final() -> bool:
    """True when the host's last final block holds every money entry."""
    head = LedgerHead.objects.get(registry="money").size
    top = Block.objects.filter(level__in=[FINAL, WITNESSED]).order_by("-height").first()
    return top is not None and BlockLog.objects.get(block=top, registry="money").size == head


def forged_proposal(cluster: LocalCluster, queue: str) -> None:
    """An intruder on the broker asks supernode-1 to certify an act (not signed by the host)."""
    message = app().act_message("issue", "forged-1", bank("Võltspank AS"), 10**9)
    offer = acts.ActProposal(settings.RIIK_CHAIN_ID, ACT_KIND, 1, message, 2**62, queue)
    intruder = Signer.from_seed("host", b"intruder")
    transport.send("cluster_act_propose", "supernode-1", offer.signed_by(intruder.sign).to_record())


def test_the_supernode_nodes_certify_the_central_banks_acts_and_the_books_verify(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    pank, central = bank(), bank_client(central_bank())
    with current_app.connection_for_write() as connection:
        intruders = f"{cluster.prefix}.intruder"
        intruders_queue = connection.SimpleQueue(intruders)
        forged_proposal(cluster, intruders)

        certificate = asked(central, "issue", "eur-1", pank, 1_000_000)
        assert certificate.status_code == 200, certificate.content
        votes = certificate.json()["certificate"]["votes"]
        assert len({vote["signer"] for vote in votes}) >= 3  # 2F+1 of the 4 supernodes
        issued = central.post(
            f"{MONEY}wallets/{pank}/issuances/",
            {
                "act_id": "eur-1",
                "amount_cents": 1_000_000,
                "certificate": certificate.json()["certificate"],
            },
            format="json",
        )
        assert issued.status_code == 201, issued.content

        # The same act id with other terms: every supernode refuses, nothing recorded.
        other = problem(asked(central, "issue", "eur-1", pank, 2_000_000), 409, "")
        assert "act eur-1 was certified with other terms" in other["detail"]

        # Nobody but the host gets an answer, or uses up an act id.
        with pytest.raises(intruders_queue.Empty):
            intruders_queue.get(block=True, timeout=1)
        # Stop consuming before deleting (RabbitMQ cancels a deleted queue's consumers).
        intruders_queue.close()
        intruders_queue.queue.delete()
    supernode = cluster.nodes["supernode-1"].database_url
    signed_ids = nodedb.read_rows(supernode, "SELECT act_id FROM chain_nodeactvote")
    assert [act_id for (act_id,) in signed_ids] == ["eur-1"]

    mari, jaan = citizen(), citizen("Jaan", "Kask")
    for person in (mari, jaan):
        run(lambda money, code=person.code: money.open_wallet(code, pank, "banker"))
    pay_unsigned(pank, mari.code, 50_000)
    payload = {"payment_id": new_payment_id(), "payee": jaan.code, "amount_cents": 12_345}
    paid = citizen_client(mari).post(
        "/api/v1/money/e-services/payments/", signed(mari, payload), format="json"
    )
    assert paid.status_code == 201, paid.content
    assert (balance(mari.code), balance(jaan.code)) == (37_655, 12_345)

    wait_for(money_final, 60, "every money entry in a final block")
    verified = verify_both(tmp_path / "verify")
    assert verified.passed, verified.outputs
    for output in verified.outputs:
        assert "money: supply 1000000 cents after 1 certified act" in output, output

    # Two of four supernodes down: no quorum, 503 naming the silent, nothing recorded.
    cluster.kill("supernode-3")
    cluster.kill("supernode-4")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(acts, "ACT_TIMEOUT", 3.0)
        down = problem(asked(central, "issue", "eur-2", pank, 500), 503, "")
    assert "2 of the 3 votes a quorum needs" in down["detail"]
    assert "no answer from supernode-3, supernode-4" in down["detail"]
    assert [record.act_id for record in ActRecord.objects.all()] == ["eur-1"]
    assert app().supply_cents() == 1_000_000
