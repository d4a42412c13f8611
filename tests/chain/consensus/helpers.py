"""Keys, members, blocks and a tiny instant network for hand-built consensus scenarios."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chain import merkle
from chain.consensus.bft import Candidate
from chain.consensus.crypto import Signer
from chain.consensus.membership import Membership, genesis_membership
from chain.consensus.messages import (
    Block,
    BlockRequest,
    CommittedBlock,
    FinalBlock,
    Kind,
    Message,
    Proposal,
    QuorumCertificate,
    Tier,
    Vote,
)
from chain.consensus.node import ALL, CITIZENS, SUPERNODES, WITNESSES, ChainNode, Decision, Output
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.consensus.witness import WitnessNode
from chain.encoding import ZERO_HASH

CHAIN = "riik-test"
SEED = b"tests"

WITNESS_NAMES = [f"witness-{i}" for i in range(1, 5)]
SUPERNODE_NAMES = [f"supernode-{i}" for i in range(1, 5)]
CITIZEN_NAMES = [f"citizen-{i}" for i in range(1, 4)]


def signer(name: str) -> Signer:
    return Signer.from_seed(name, SEED)


W = [signer(n) for n in WITNESS_NAMES]
S = [signer(n) for n in SUPERNODE_NAMES]
C = [signer(n) for n in CITIZEN_NAMES]


def membership(**options: Any) -> Membership:
    """Four witnesses, four supernodes, three citizens (w = 2), genesis signed by all supernodes."""
    return genesis_membership(CHAIN, supernodes=S, witnesses=W, citizens=C, **options)


class Ledger:
    """Two registry logs that grow by one entry per height."""

    registries = ("business", "property")

    def leaves(self, registry: str, start: int, end: int) -> Sequence[bytes]:
        return [f"{registry}/{seq}".encode() for seq in range(start + 1, end + 1)]

    def all(self, registry: str, size: int) -> list[bytes]:
        return list(self.leaves(registry, 0, size))

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> Sequence[bytes]:
        return merkle.consistency_proof(self.all(registry, new_size), old_size)

    def logs(self, height: int) -> dict[str, dict[str, Any]]:
        return {
            r: {"size": height, "root": merkle.root_hash(self.all(r, height)).hex()}
            for r in self.registries
        }

    def build(self, request: BlockRequest) -> dict[str, Any]:
        return header(request.height, request.prev_hash, request.proposer, f"r{request.round}")


LEDGER = Ledger()


def header(
    height: int, prev_hash: bytes = ZERO_HASH, proposer: str = "witness-2", tag: str = ""
) -> dict[str, Any]:
    """A block header at ``height`` (``tag`` makes two blocks of one height differ)."""
    return {
        "chain_id": CHAIN,
        "height": height,
        "prev_hash": prev_hash.hex(),
        "sealed_at": f"test{tag}",
        "proposer": proposer,
        "logs": LEDGER.logs(height),
    }


def block(
    height: int = 1, prev_hash: bytes = ZERO_HASH, proposer: str = "witness-2", tag: str = ""
) -> Block:
    return Block.from_header(header(height, prev_hash, proposer, tag))


def vote(
    who: Signer,
    kind: Kind,
    height: int,
    round: int,
    block_hash: bytes | None,
    tier: Tier | None = None,
    chain_id: str = CHAIN,
) -> Vote:
    if tier is None:
        tier = "witness" if who.name.startswith("witness") else "supernode"
        if who.name.startswith("citizen"):
            tier = "citizen"
    return Vote.sign(
        who,
        chain_id=chain_id,
        tier=tier,
        kind=kind,
        height=height,
        round=round,
        block_hash=block_hash,
    )


def proposal(
    who: Signer,
    blk: Block,
    round: int = 0,
    pol_round: int = -1,
    pol: QuorumCertificate | None = None,
    justification: QuorumCertificate | None = None,
    tier: Tier = "witness",
) -> Proposal:
    return Proposal.sign(
        who,
        chain_id=CHAIN,
        tier=tier,
        round=round,
        block=blk,
        pol_round=pol_round,
        pol=pol,
        justification=justification,
    )


def qc(
    signers: Iterable[Signer],
    kind: Kind,
    height: int,
    round: int,
    blk: Block,
    tier: Tier | None = None,
) -> QuorumCertificate:
    votes = tuple(vote(s, kind, height, round, blk.hash, tier) for s in signers)
    return QuorumCertificate(votes[0].tier, kind, height, round, blk.hash, votes)


def witness_commit(blk: Block, signers: Sequence[Signer] = W[:3], round: int = 0) -> CommittedBlock:
    return CommittedBlock(blk, qc(signers, "precommit", blk.height, round, blk, "witness"))


def final_block(blk: Block, signers: Sequence[Signer] = S[:3]) -> FinalBlock:
    return FinalBlock(blk, qc(signers, "finalize", blk.height, 0, blk, "supernode"))


def witness(name: str = "witness-1", mem: Membership | None = None, **options: Any) -> WitnessNode:
    node = WitnessNode(
        name=name,
        chain_id=CHAIN,
        membership=mem or membership(),
        signer=signer(name),
        propose_block=LEDGER.build,
        **options,
    )
    return node


def supernode(
    name: str = "supernode-1", mem: Membership | None = None, takeover: int = 30, **options: Any
) -> SupernodeNode:
    return SupernodeNode(
        name=name,
        chain_id=CHAIN,
        membership=mem or membership(),
        signer=signer(name),
        propose_block=LEDGER.build,
        timeouts=supernode_timeouts(takeover),
        **options,
    )


def sent(out: Output, kind: type | None = None) -> list[Message]:
    return [s.message for s in out.sends if kind is None or isinstance(s.message, kind)]


def votes_of(out: Output, kind: str) -> list[Vote]:
    return [m for m in sent(out, Vote) if isinstance(m, Vote) and m.kind == kind]


def decisions(out: Output, kind: type) -> list[Any]:
    return [d for d in out.decisions if isinstance(d, kind)]


def feed(node: ChainNode, messages: Iterable[Message], src: str = "peer") -> Output:
    """Deliver ``messages`` to ``node``; return everything it output, merged."""
    merged = Output()
    for message in messages:
        out = node.handle(src, message)
        merged.sends += out.sends
        merged.decisions += out.decisions
        merged.evidence += out.evidence
    return merged


def ticks(node: ChainNode, count: int) -> Output:
    merged = Output()
    for _ in range(count):
        out = node.tick()
        merged.sends += out.sends
        merged.decisions += out.decisions
        merged.evidence += out.evidence
    return merged


def candidate(blk: Block, justification: QuorumCertificate | None = None) -> Candidate:
    return Candidate(blk, justification)


@dataclass
class InstantNet:
    """Delivers every message at once, in order; nodes can be left out (down)."""

    nodes: dict[str, ChainNode]
    down: set[str] = field(default_factory=set)
    decided: dict[str, list[Decision]] = field(default_factory=dict)
    evidence: list[Any] = field(default_factory=list)

    def groups(self) -> Mapping[str, list[str]]:
        names = sorted(self.nodes)
        return {
            WITNESSES: [n for n in names if n.startswith("witness")],
            SUPERNODES: [n for n in names if n.startswith("supernode")],
            CITIZENS: [n for n in names if n.startswith("citizen")],
            ALL: names,
        }

    def run(self, outputs: Iterable[tuple[str, Output]], limit: int = 20000) -> None:
        queue: deque[tuple[str, str, Message]] = deque()
        groups = self.groups()

        def absorb(name: str, out: Output) -> None:
            self.decided.setdefault(name, []).extend(out.decisions)
            self.evidence.extend(out.evidence)
            for send in out.sends:
                for dst in groups.get(send.to, [send.to]):
                    if dst != name and dst in self.nodes:
                        queue.append((name, dst, send.message))

        for name, out in outputs:
            absorb(name, out)
        steps = 0
        while queue and steps < limit:
            steps += 1
            src, dst, message = queue.popleft()
            if dst in self.down or src in self.down:
                continue
            absorb(dst, self.nodes[dst].handle(src, message))

    def start(self) -> None:
        self.run(
            (name, node.start())
            for name, node in sorted(self.nodes.items())
            if name not in self.down
        )

    def tick(self, count: int = 1) -> None:
        for _ in range(count):
            self.run(
                (name, node.tick())
                for name, node in sorted(self.nodes.items())
                if name not in self.down
            )
