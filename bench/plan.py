"""How much work each figure does: the full run and the ``--quick`` smoke run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Plan:
    mode: str
    companies: int
    """Companies per application; each is two commands (register, change address)."""
    rounds: int
    """Interleaved rounds (ledger, bare, bare, ledger, ...) the companies are split into."""
    warmup: int
    """Companies registered by each application before timing starts."""
    verify_repeats: int
    """Timed ``chain verify`` runs, each followed by a raw-hash baseline run."""
    proof_sizes: tuple[int, ...]
    proof_samples: int
    pymerkle_proof_sizes: tuple[int, ...]
    proof_budget_s: float
    """Time box per log size: stop sampling proofs after this (at least 100 samples)."""
    root_leaves: int
    root_repeats: int
    seed: int = 20260115

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data: dict[str, Any] = json.loads(text)
        for name in ("proof_sizes", "pymerkle_proof_sizes"):
            data[name] = tuple(data[name])
        return cls(**data)

    def with_overrides(self, **changes: Any) -> Plan:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


FULL = Plan(
    mode="full",
    companies=2000,
    rounds=8,
    warmup=100,
    verify_repeats=3,
    proof_sizes=(10_000, 100_000, 1_000_000),
    proof_samples=1000,
    pymerkle_proof_sizes=(10_000, 100_000, 1_000_000),
    proof_budget_s=20.0,
    root_leaves=100_000,
    root_repeats=5,
)

QUICK = Plan(
    mode="quick",
    companies=300,
    rounds=3,
    warmup=30,
    verify_repeats=2,
    proof_sizes=(10_000, 100_000),
    proof_samples=1000,
    pymerkle_proof_sizes=(10_000, 100_000),
    proof_budget_s=5.0,
    root_leaves=100_000,
    root_repeats=3,
)
