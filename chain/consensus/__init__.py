"""The three-tier consensus of DESIGN.md section 4 (see docs/consensus.md).

Everything here except the management command is pure: no Django, no I/O,
no wall clock, no global randomness. Nodes consume messages and clock ticks
and return messages to send, decisions to persist and evidence to record,
so the same state machines run in the deterministic simulator
(:mod:`chain.consensus.simulator`) and, later, behind Celery queues.

* :mod:`~chain.consensus.messages`   votes, proposals, certificates (wire records)
* :mod:`~chain.consensus.membership` validator sets, quorums, member and key history
* :mod:`~chain.consensus.evidence`   equivocation, invalid, wrong-tier and replayed votes
* :mod:`~chain.consensus.bft`        the Tendermint state machine both BFT tiers run
* :mod:`~chain.consensus.witness`    tier 2: the enterprise board commits blocks
* :mod:`~chain.consensus.supernode`  tier 1: certification, finality, takeover
* :mod:`~chain.consensus.citizen`    tier 3: checkpoint cosigning, storage challenges
* :mod:`~chain.consensus.simulator`  seeded fault-injection runs and the safety/liveness checker
"""
