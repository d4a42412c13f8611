"""The consensus mode of this registry host: ``local``, ``devnet`` or ``cluster``.

``RIIK_CONSENSUS`` is read here and nowhere else; every module that behaves
differently per mode asks :func:`consensus_mode` and the properties of the
:class:`ConsensusMode` it returns (who seals, who holds the supernode keys),
so adding or changing a mode is one edit here, not a hunt for string
comparisons. The finalizer of each mode is
:func:`chain.blocks.finality.finalizer`.
"""

from __future__ import annotations

import enum

from django.conf import settings

__all__ = ["ConsensusMode", "consensus_mode"]


class ConsensusMode(enum.Enum):
    """How blocks of this chain are sealed and made final."""

    LOCAL = "local"
    """This host is the only supernode: it seals and signs every block."""
    DEVNET = "devnet"
    """This host holds every member's key and runs their state machines in memory."""
    CLUSTER = "cluster"
    """Separate node processes over the broker seal and finalize; this host stores
    what they report (:mod:`chain.blocks.cluster`)."""

    @property
    def host_seals(self) -> bool:
        """True when this host seals and finalizes its blocks itself (not in a cluster,
        where the witnesses build them and the certificates come back as reports)."""
        return self is not ConsensusMode.CLUSTER

    @property
    def host_holds_supernode_keys(self) -> bool:
        """True when this host signs membership changes with supernode keys of its own;
        a cluster host holds none and asks its supernodes over the broker
        (:mod:`chain.blocks.cluster.quorum`)."""
        return self is not ConsensusMode.CLUSTER

    @property
    def single_supernode(self) -> bool:
        """True when this host's own key is the only supernode (its own quorum)."""
        return self is ConsensusMode.LOCAL


def consensus_mode() -> ConsensusMode:
    """The mode ``RIIK_CONSENSUS`` names.

    Read at each call, not cached at import: a test's ``override_settings``
    and a worker started with another environment must both be obeyed.
    """
    try:
        return ConsensusMode(settings.RIIK_CONSENSUS)
    except ValueError:
        msg = (
            "RIIK_CONSENSUS must be 'local', 'devnet' or 'cluster', "
            f"not {settings.RIIK_CONSENSUS!r}"
        )
        raise ValueError(msg) from None
