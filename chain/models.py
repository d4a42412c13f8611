"""Django models of the chain app, kept in the rooms they belong to."""

from chain.blocks.models import Block, BlockLog, BlockSignature, Checkpoint, Supernode
from chain.ledger.models import LedgerEntry, LedgerHead, LedgerSubtree

__all__ = [
    "Block",
    "BlockLog",
    "BlockSignature",
    "Checkpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerSubtree",
    "Supernode",
]
