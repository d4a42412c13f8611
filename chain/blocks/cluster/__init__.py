"""The consensus state machines as a real cluster: one Celery worker per node.

One role per module: :mod:`~chain.blocks.cluster.transport` (tasks on one
broker queue per node), :mod:`~chain.blocks.cluster.node` (a node's runtime:
persist, then send), :mod:`~chain.blocks.cluster.replica` (a node's copy of
the ledger leaves), :mod:`~chain.blocks.cluster.host` (what the registry
host sends the nodes), :mod:`~chain.blocks.cluster.reports` (what it stores
of their reports), :mod:`~chain.blocks.cluster.quorum` (membership changes
certified over the broker), :mod:`~chain.blocks.cluster.genesis` (the
genesis file), :mod:`~chain.blocks.cluster.clock` (a node's tick),
:mod:`~chain.blocks.cluster.nodedb` (a node's own database) and
:mod:`~chain.blocks.cluster.launcher` (the nodes as local processes).

This package's ``__init__`` imports nothing: ``config/celery.py`` loads the
clock before Django is set up.
"""
