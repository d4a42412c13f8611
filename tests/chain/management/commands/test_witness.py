"""``manage.py witness``: a citizen witness against a node served over real HTTP."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from chain import notes
from chain.blocks.checkpoints import checkpoint_origin
from chain.blocks.models import Block, BlockLog, Checkpoint
from chain.blocks.nodekeys import node_key
from chain.blocks.sealing import seal_pending
from chain.ledger.proofs import log_size
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


def _run(live_server: Any, state: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "witness", "--node", live_server.url, "--state", str(state), "--registry",
            "business", stdout=out, stderr=err,
        )  # fmt: skip
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _grow() -> str:
    code = register_company()
    seal_pending()
    return code


def test_the_witness_cosigns_a_growing_log_and_keeps_its_last_checkpoint(
    live_server: Any, tmp_path: Path
) -> None:
    code = _grow()
    state = tmp_path / "witness.json"
    status, out, err = _run(live_server, state)
    assert status == 0, err
    first = log_size("business")
    assert f"cosigned riik.example/business size {first}:" in out
    running(BusinessRegistry).change_address(code, "Narva, Peetri 3", "registrar")
    seal_pending()
    status, out, err = _run(live_server, state)
    assert status == 0, err
    assert f"cosigned riik.example/business size {first + 1}:" in out
    assert f'"size": {first + 1}' in state.read_text()


def test_the_witness_refuses_a_rolled_back_log(live_server: Any, tmp_path: Path) -> None:
    code = _grow()
    running(BusinessRegistry).change_address(code, "Võru, Jüri 4", "registrar")
    seal_pending()
    state = tmp_path / "witness.json"
    assert _run(live_server, state)[0] == 0
    size = log_size("business")
    # The node drops its newest block: it now serves a shorter log.
    with connection.cursor() as cursor:
        for table in ("chain_blocksignature", "chain_checkpoint", "chain_blocklog"):
            cursor.execute(f"DELETE FROM {table} WHERE block_id = 2")
        cursor.execute("DELETE FROM chain_block WHERE height = 2")
    status, _, err = _run(live_server, state)
    assert status == 1
    assert f"REFUSED riik.example/business: rollback, the node serves size {size - 1}" in err
    assert f'"size": {size}' in state.read_text()


def test_the_witness_refuses_a_split_view(live_server: Any, tmp_path: Path) -> None:
    _grow()
    state = tmp_path / "witness.json"
    assert _run(live_server, state)[0] == 0
    # The node (its key compromised) now shows another tree of the same size.
    log = BlockLog.objects.get(block_id=1, registry="business")
    other_root = bytes(32)
    body = notes.checkpoint_body(checkpoint_origin("business"), log.size, other_root)
    Checkpoint.objects.filter(block_id=1, registry="business").update(
        note=node_key().sign_note(body)
    )
    BlockLog.objects.filter(pk=log.pk).update(root=other_root)
    status, _, err = _run(live_server, state)
    assert status == 1
    assert "REFUSED riik.example/business: split view" in err
    assert Block.objects.count() == 1
