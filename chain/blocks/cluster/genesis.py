"""The genesis file of a cluster: the first member lists, signed by the first supernodes.

Every node of a cluster loads the same file (``RIIK_GENESIS_FILE``) into a
:class:`~chain.consensus.membership.Membership`; the registry host loads it
too, to record the members' keys beside the blocks. The file holds only
public keys and the supernodes' ``membership`` votes over the genesis, so it
can be copied to every host in the clear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from chain.consensus.crypto import Signer
from chain.consensus.membership import (
    ChangeCertificate,
    Genesis,
    MemberKey,
    Membership,
    certify_change,
)
from chain.consensus.messages import Vote

__all__ = ["host_key_path", "load_membership", "members", "read_genesis", "write_genesis"]

EPOCH_LENGTH = 100
"""Blocks per epoch of a cluster by default: a membership change certified in
one epoch applies from the first block of the next (``cluster --epoch-length``)."""


def write_genesis(
    path: Path,
    chain_id: str,
    *,
    supernodes: Sequence[Signer],
    witnesses: Sequence[Signer],
    citizens: Sequence[Signer],
    citizen_threshold: int,
    epoch_length: int = EPOCH_LENGTH,
) -> None:
    """Write a genesis listing these members, signed by every supernode."""
    change = Genesis(
        supernodes=tuple(MemberKey.of(s) for s in supernodes),
        witnesses=tuple(MemberKey.of(s) for s in witnesses),
        citizens=tuple(MemberKey.of(s) for s in citizens),
        citizen_threshold=citizen_threshold,
        board_size=len(witnesses),
        epoch_length=epoch_length,
    )
    cert = certify_change(chain_id, change, 0, supernodes)
    record = {
        "chain_id": chain_id,
        "genesis": change.record(),
        "votes": [vote.to_record() for vote in cert.votes],
    }
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def _keys(items: Sequence[Mapping[str, Any]]) -> tuple[MemberKey, ...]:
    return tuple(MemberKey(str(i["name"]), bytes.fromhex(str(i["public_key"]))) for i in items)


def read_genesis(path: Path) -> tuple[str, ChangeCertificate]:
    """The chain id and certified genesis of a file written by :func:`write_genesis`."""
    record = json.loads(path.read_text())
    g = record["genesis"]
    change = Genesis(
        supernodes=_keys(g["supernodes"]),
        witnesses=_keys(g["witnesses"]),
        citizens=_keys(g["citizens"]),
        citizen_threshold=int(g["citizen_threshold"]),
        board_size=int(g["board_size"]),
        epoch_length=int(g["epoch_length"]),
    )
    votes = tuple(Vote.from_record(v) for v in record["votes"])
    return str(record["chain_id"]), ChangeCertificate(change, 0, votes)


@cache
def load_membership(path: str) -> Membership:
    """The membership of the genesis file at ``path`` (its signatures checked)."""
    chain_id, cert = read_genesis(Path(path))
    return Membership(chain_id, cert)


@cache
def _certificate(path: str) -> ChangeCertificate:
    return read_genesis(Path(path))[1]


def members(path: str) -> dict[str, list[MemberKey]]:
    """The genesis members by tier (``supernode``, ``witness``, ``citizen``)."""
    cert = _certificate(path)
    change = cert.change
    assert isinstance(change, Genesis)
    return {
        "supernode": list(change.supernodes),
        "witness": list(change.witnesses),
        "citizen": list(change.citizens),
    }


def host_key_path(genesis: Path) -> Path:
    """Where a cluster keeps its registry host's public key (hex): ``host.pub`` beside
    its genesis file (``manage.py cluster`` writes it)."""
    return genesis.with_name("host.pub")
