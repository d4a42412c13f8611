"""``chain verify`` against raw hashlib, and what a block costs it (issue 17, goal 1).

Figure 2 (:func:`run`, inside ``python -m bench``, Django set up): the log
written by figure 1 is sealed into a block; each timed run is exactly
``manage.py chain verify --no-progress`` (bundle records read from the
database, fed to ``ChainVerifier``, then the storage checks), alternating with
the raw-hash baseline of :mod:`bench.hashes` over byte strings of the same sizes.

``python -m bench.verify_rate`` (pure: no Django, no database) measures the
auditor's verifier, ``python -m chain.verify``, on bundles of a synthetic
chain (:class:`SyntheticChain`: real entries, Merkle roots, Ed25519
certificates of the three tiers and signed checkpoints, as the devnet writes
them):

* ``verify_bundle_entries_per_s``: entries/s of :func:`chain.verify.verify_file`
  with the jobs ``--jobs`` defaults to (one per CPU), and with one, against
  the raw SHA-256 loop over the same hashes (median ratio; goal >= 0.3);
* ``verify_block_ms``: the cost of one block beyond its entries at two chain
  sizes: ``--blocks`` blocks of ``--per-block`` entries against the same
  entries sealed in one block (their difference over the extra blocks), next
  to the floor of bare Ed25519 verifications a block needs (goal: well under
  a millisecond, the same at both sizes). Plotted to ``plots/verify_per_block.png``.

Both are merged into ``bench/results.json`` (replacing earlier figures of these ids).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import BENCH_DIR, DEFAULT_DATA_DIR
from bench.hashes import hash_inputs, hashes_per_entry, time_raw_hashes
from bench.stats import median, rounded
from chain.encoding import (
    ZERO_HASH,
    block_hash,
    canonical,
    entry_hash,
    entry_leaf,
    timestamp,
    vote_message,
)
from chain.keys import NodeKey
from chain.merkle import MerkleFrontier, leaf_hash
from chain.notes import checkpoint_body
from chain.protocol import CITIZEN_TIER, SUPERNODE_TIER, TIER_KINDS, WITNESS_TIER
from chain.verify import BUNDLE_FORMAT, verify_file
from chain.verify.parallel import default_jobs

if TYPE_CHECKING:
    from bench.plan import Plan


def log_bytes() -> tuple[list[bytes], list[bytes]]:
    """Payloads and canonical envelopes (leaves) of every entry of every registry log."""
    from django.conf import settings

    from chain.export import entry_records

    payloads: list[bytes] = []
    leaves: list[bytes] = []
    for registry in sorted(settings.RIIK_REGISTRIES):
        for row in entry_records(registry, 0, None):
            payloads.append(row.payload)
            leaves.append(
                entry_leaf(
                    registry=registry,
                    seq=row.seq,
                    originator_id=row.originator_id,
                    originator_version=row.originator_version,
                    topic=row.topic,
                    recorded_at=row.recorded_at,
                    payload_hash=row.payload_hash,
                )
            )
    return payloads, leaves


def chain_verify() -> float:
    """Seconds for one ``chain verify``; raises if it does not say OK."""
    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    gc.collect()
    start = time.perf_counter()
    try:
        call_command("chain", "verify", "--no-progress", stdout=out, stderr=err)
    except SystemExit as exc:
        raise RuntimeError(f"chain verify failed: {err.getvalue().strip()}") from exc
    elapsed = time.perf_counter() - start
    if not out.getvalue().rstrip().endswith("OK"):
        raise RuntimeError(f"chain verify did not say OK: {out.getvalue()!r}")
    return elapsed


def run(plan: Plan, tick: Callable[[], None]) -> dict[str, Any]:
    """Figure 2 of one backend: ``manage.py chain verify`` vs raw hashlib (Django set up)."""
    from chain.blocks.sealing import seal_pending
    from chain.ledger.models import LedgerEntry

    block = seal_pending()
    entries = LedgerEntry.objects.count()
    payloads, leaves = log_bytes()
    if len(leaves) != entries:
        raise RuntimeError(f"read {len(leaves)} entries of {entries}")
    inputs = hash_inputs(payloads, leaves)
    verify_s: list[float] = []
    raw_s: list[float] = []
    for _ in range(plan.verify_repeats):
        verify_s.append(chain_verify())
        gc.collect()
        raw_s.append(time_raw_hashes(inputs))
        tick()
    verify_rate = entries / median(verify_s)
    raw_rate = entries / median(raw_s)
    return {
        "entries": entries,
        "blocks": 1 if block is not None else 0,
        "hashes_per_entry": hashes_per_entry(entries),
        "hashes": len(inputs),
        "mean_payload_bytes": sum(map(len, payloads)) / entries,
        "mean_leaf_bytes": sum(map(len, leaves)) / entries,
        "verify_s": verify_s,
        "raw_hash_s": raw_s,
        "verify_entries_per_s": verify_rate,
        "raw_entries_per_s": raw_rate,
        "ratio": verify_rate / raw_rate,
    }


# ---------------------------------------------------------------------------
# Standalone: ``python -m bench.verify_rate`` (pure: no Django, no database).
# ---------------------------------------------------------------------------

SYNTHETIC_REGISTRIES = ("business", "court", "health", "identity", "property")
"""The logs of the synthetic chain (the chain's and the money's logs need
certified content of their own, which the verifier checks in the main process)."""
CHAIN_ID = "riik-bench"
ORIGIN_PREFIX = "riik.bench"
PAYLOAD_BYTES = 300
"""About a registry event's stored state (the demo's mean is 230-700 bytes)."""
GOAL_BLOCK_MS = 1.0
"""Goal of issue 17: verifying a block costs well under a millisecond beyond its entries."""
SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000, 20_000)
EPOCH = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class _Members:
    """The synthetic chain's members: 4 supernodes, 4 witnesses, 3 citizens, as the devnet."""

    supernodes: list[NodeKey]
    witnesses: list[NodeKey]
    citizens: list[NodeKey]

    @classmethod
    def make(cls, seed: str) -> _Members:
        def keys(tier: str, count: int) -> list[NodeKey]:
            return [
                NodeKey(
                    f"{tier}-{i}",
                    Ed25519PrivateKey.from_private_bytes(
                        hashlib.sha256(f"{seed}/{tier}/{i}".encode()).digest()
                    ),
                )
                for i in range(1, count + 1)
            ]

        return cls(keys("supernode", 4), keys("witness", 4), keys("citizen", 3))

    def header(self) -> dict[str, Any]:
        def listed(keys: Sequence[NodeKey]) -> list[dict[str, Any]]:
            return [
                {
                    "name": k.name,
                    "public_key": k.public_bytes.hex(),
                    "key_id": k.key_id.hex(),
                    "from_height": 1,
                }
                for k in keys
            ]

        return {
            "type": "header",
            "format": BUNDLE_FORMAT,
            "chain_id": CHAIN_ID,
            "origin_prefix": ORIGIN_PREFIX,
            "registries": list(SYNTHETIC_REGISTRIES),
            "supernodes": listed(self.supernodes),
            "quorum": 3,
            "witnesses": listed(self.witnesses),
            "witness_quorum": 3,
            "citizens": listed(self.citizens),
            "citizen_threshold": 2,
            "exported_at": timestamp(EPOCH),
        }


def _certificate(keys: Sequence[NodeKey], tier: str, height: int, digest: bytes) -> list[Any]:
    message = vote_message(
        chain_id=CHAIN_ID,
        tier=tier,
        kind=TIER_KINDS[tier],
        height=height,
        round=0,
        block_hash=digest,
    )
    return [
        {
            "signer": k.name,
            "round": 0,
            "key_id": k.key_id.hex(),
            "alg": "ed25519",
            "signature": k.sign(message).hex(),
        }
        for k in keys
    ]


class SyntheticChain:
    """A correct chain written straight to a bundle file: real entries (payload,
    entry and leaf hashes), real Merkle roots, real Ed25519 certificates of the
    three tiers and checkpoints signed by every supernode, as the devnet writes
    them. A checkpoint note is signed again only when its log grew."""

    def __init__(self, path: Path, seed: str = "riik-bench", *, keep: bool = False) -> None:
        self.members = _Members.make(seed)
        self.keep = keep
        self.payloads: list[bytes] = []
        self.leaves: list[bytes] = []
        """With ``keep``: every entry's payload and leaf, for the raw-hash baseline."""
        self.stream = path.open("wb")
        self.seed = seed.encode()
        self.heads = dict.fromkeys(SYNTHETIC_REGISTRIES, ZERO_HASH)
        self.frontiers = {name: MerkleFrontier() for name in SYNTHETIC_REGISTRIES}
        self.notes: dict[str, str] = {}
        self.prev_block = ZERO_HASH
        self.height = 0
        self.entries = 0
        self._write(self.members.header())

    def _write(self, record: dict[str, Any]) -> None:
        self.stream.write(canonical(record) + b"\n")

    def entry(self, registry: str) -> None:
        """Append one entry to ``registry``'s log."""
        frontier = self.frontiers[registry]
        seq = frontier.size + 1
        event = hashlib.sha256(self.seed + registry.encode() + seq.to_bytes(8, "big"))
        payload = (b'{"event":"' + event.hexdigest().encode() + b'"}').ljust(PAYLOAD_BYTES, b" ")
        fields: dict[str, Any] = {
            "registry": registry,
            "seq": seq,
            "originator_id": str(UUID(bytes=hashlib.md5(payload).digest(), version=4)),
            "originator_version": 1 + seq % 7,
            "topic": f"registries.{registry}.domain:Record.Changed",
            "recorded_at": timestamp(EPOCH + timedelta(microseconds=self.entries * 1_000)),
            "payload_hash": hashlib.sha256(payload).digest(),
        }
        leaf = entry_leaf(**fields)
        digest = entry_hash(self.heads[registry], leaf)
        self._write(
            {
                "type": "entry",
                **fields,
                "prev_hash": self.heads[registry],
                "entry_hash": digest,
                "payload": payload,
            }
        )
        self.heads[registry] = digest
        frontier.append(leaf_hash(leaf))
        self.entries += 1
        if self.keep:
            self.payloads.append(payload)
            self.leaves.append(leaf)

    def block(self) -> None:
        """Seal every entry so far into the next block."""
        self.height += 1
        sizes = {name: (f.size, f.root()) for name, f in self.frontiers.items()}
        logs = {name: {"size": size, "root": root.hex()} for name, (size, root) in sizes.items()}
        header = {
            "chain_id": CHAIN_ID,
            "height": self.height,
            "prev_hash": self.prev_block.hex(),
            "sealed_at": timestamp(EPOCH + timedelta(seconds=2 * self.height)),
            "proposer": self.members.supernodes[self.height % 4].name,
            "logs": logs,
        }
        digest = block_hash(header)
        checkpoints = {}
        for name, (size, root) in sizes.items():
            body = checkpoint_body(f"{ORIGIN_PREFIX}/{name}", size, root)
            note = self.notes.get(name)
            if note is None or not note.startswith(body + "\n"):
                signers = self.members.supernodes
                note = signers[0].sign_note(body)
                for cosigner in signers[1:]:
                    note = cosigner.cosign_note(note)
                self.notes[name] = note
            checkpoints[name] = note
        members = self.members
        self._write(
            {
                "type": "block",
                "header": header,
                "block_hash": digest.hex(),
                "round": 0,
                "certificate": _certificate(
                    members.supernodes, SUPERNODE_TIER, self.height, digest
                ),
                "witness_certificate": _certificate(
                    members.witnesses, WITNESS_TIER, self.height, digest
                ),
                "citizen_certificate": _certificate(
                    members.citizens, CITIZEN_TIER, self.height, digest
                ),
                "checkpoints": checkpoints,
            }
        )
        self.prev_block = digest

    def close(self) -> None:
        """Write the end record and close the file."""
        self._write({"type": "end", "entries": self.entries, "blocks": self.height})
        self.stream.close()


def write_chain(
    path: Path, base: int, blocks: int, per_block: int, *, keep: bool = False
) -> SyntheticChain:
    """A bundle of ``base`` entries (spread over the logs) sealed in one block, then
    ``blocks`` blocks of ``per_block`` entries each in two logs (turn by turn), as
    a chain of two-second blocks looks; ``blocks`` 1 seals them all in one block."""
    chain = SyntheticChain(path, keep=keep)
    names = SYNTHETIC_REGISTRIES
    for index in range(base):
        chain.entry(names[index % len(names)])
    chain.block()
    for number in range(blocks):
        active = (names[2 * number % len(names)], names[(2 * number + 1) % len(names)])
        for index in range(per_block):
            chain.entry(active[index % 2])
        chain.block()
    chain.close()
    return chain


def _timed_verify(path: Path, jobs: int) -> float:
    """Seconds of one :func:`chain.verify.verify_file` of ``path``."""
    gc.collect()
    start = time.perf_counter()
    report = verify_file(str(path), jobs=jobs)
    elapsed = time.perf_counter() - start
    if not report.complete:
        raise RuntimeError(f"{path}: not verified to its end")
    return elapsed


SIGNATURES_PER_BLOCK = 4 + 4 + 3 + 2 * 4
"""Ed25519 checks of a block of the synthetic chain: the supernode, witness and
citizen certificates, and the checkpoints (four signatures) of the two logs it grew;
the other logs' checkpoints are the notes of a block before."""


def _ed25519_verify_s(count: int) -> float:
    """Seconds of ``count`` bare Ed25519 verifications (``cryptography``)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    public, message = key.public_key(), b"x" * 120
    signature = key.sign(message)
    start = time.perf_counter()
    for _ in range(count):
        public.verify(signature, message)
    return time.perf_counter() - start


def block_cost(
    directory: Path, base: int, blocks: int, per_block: int, repeats: int
) -> dict[str, Any]:
    """One block's cost beyond its entries at a chain of ``base`` entries.

    ``blocks`` blocks of ``per_block`` entries against the same entries in one
    block, alternating, in one process (blocks are checked in the main process
    whatever the jobs); the median difference over the extra blocks.
    """
    many = directory / f"blocks-{base}.jsonl"
    one = directory / f"one-{base}.jsonl"
    write_chain(many, base, blocks, per_block)
    write_chain(one, base, 1, blocks * per_block)
    many_s: list[float] = []
    one_s: list[float] = []
    floor_s: list[float] = []
    for _ in range(repeats):
        many_s.append(_timed_verify(many, 1))
        one_s.append(_timed_verify(one, 1))
        floor_s.append(_ed25519_verify_s(SIGNATURES_PER_BLOCK * 100) / 100)
    return {
        "base_entries": base,
        "blocks": blocks,
        "entries_per_block": per_block,
        "many_blocks_s": many_s,
        "one_block_s": one_s,
        "per_block_ms": (median(many_s) - median(one_s)) / (blocks - 1) * 1000,
        "signatures_per_block": SIGNATURES_PER_BLOCK,
        "signature_floor_ms": median(floor_s) * 1000,
    }


def entry_rate(directory: Path, entries: int, jobs: int, repeats: int) -> dict[str, Any]:
    """Entries/s of the verifier with ``jobs`` processes and with one, against raw
    SHA-256 over the same hashes, in alternating runs on one bundle."""
    blocks = max(1, entries // 1000)
    path = directory / f"rate-{entries}.jsonl"
    chain = write_chain(path, 0, blocks, entries // blocks, keep=True)
    sizes = [frontier.size for frontier in chain.frontiers.values()]
    inputs = hash_inputs(chain.payloads, chain.leaves, log_sizes=sizes)
    count = chain.entries
    jobs_s: list[float] = []
    one_s: list[float] = []
    raw_s: list[float] = []
    for _ in range(repeats):
        jobs_s.append(_timed_verify(path, jobs))
        one_s.append(_timed_verify(path, 1))
        gc.collect()
        raw_s.append(time_raw_hashes(inputs))
    return {
        "entries": count,
        "blocks": chain.height,
        "bundle_bytes": path.stat().st_size,
        "jobs": jobs,
        "hashes_per_entry": len(inputs) / count,
        "verify_s": jobs_s,
        "verify_one_process_s": one_s,
        "raw_hash_s": raw_s,
        "verify_entries_per_s": count / median(jobs_s),
        "one_process_entries_per_s": count / median(one_s),
        "raw_entries_per_s": count / median(raw_s),
    }


RATE_ID = "verify_bundle_entries_per_s"
BLOCK_ID = "verify_block_ms"
BACKEND = "bundle file"
GOAL_RATIO = 0.3


def figures(rate: dict[str, Any], costs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures of :func:`entry_rate` and :func:`block_cost`, with goals and pass/miss."""
    ratio = rate["verify_entries_per_s"] / rate["raw_entries_per_s"]
    out: list[dict[str, Any]] = [
        {
            "id": RATE_ID,
            "figure": 2,
            "backend": BACKEND,
            "title": f"python -m chain.verify --jobs {rate['jobs']} entries/s vs raw hashlib",
            "value": {
                "median_entries_per_s": rate["verify_entries_per_s"],
                "jobs": rate["jobs"],
                "one_process_entries_per_s": rate["one_process_entries_per_s"],
                "one_process_ratio": rate["one_process_entries_per_s"] / rate["raw_entries_per_s"],
            },
            "baseline": {
                "name": f"raw hashlib loop, {rate['hashes_per_entry']:.3f} SHA-256 per entry",
                "median_entries_per_s": rate["raw_entries_per_s"],
            },
            "ratio": ratio,
            "ratio_of": "verify (jobs) / raw hashing (medians)",
            "goal": f">= {GOAL_RATIO}",
            "pass": ratio >= GOAL_RATIO,
            "details": {
                key: rate[key]
                for key in (
                    "entries",
                    "blocks",
                    "bundle_bytes",
                    "verify_s",
                    "verify_one_process_s",
                    "raw_hash_s",
                )
            },
        }
    ]
    for cost in costs:
        per_block = cost["per_block_ms"]
        out.append(
            {
                "id": BLOCK_ID,
                "figure": 2,
                "backend": BACKEND,
                "size": cost["base_entries"],
                "title": f"chain verify cost per block beyond its entries at "
                f"{cost['base_entries']:,} entries",
                "value": {"per_block_ms": per_block},
                "baseline": {
                    "name": f"{cost['signatures_per_block']} bare Ed25519 verifications "
                    "(the block's signatures)",
                    "per_block_ms": cost["signature_floor_ms"],
                },
                "ratio": per_block / cost["signature_floor_ms"],
                "ratio_of": "per-block cost / its bare signature checks",
                "goal": f"< {GOAL_BLOCK_MS:g} ms",
                "pass": per_block < GOAL_BLOCK_MS,
                "details": {
                    key: cost[key]
                    for key in ("blocks", "entries_per_block", "many_blocks_s", "one_block_s")
                },
            }
        )
    return out


def _plot(directory: Path, costs: Sequence[dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    sizes = [cost["base_entries"] for cost in costs]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(sizes, [c["per_block_ms"] for c in costs], "o-", label="per block beyond entries")
    ax.plot(
        sizes,
        [c["signature_floor_ms"] for c in costs],
        "s--",
        color="grey",
        label="its bare Ed25519 checks",
    )
    ax.axhline(GOAL_BLOCK_MS, color="green", linewidth=1, label=f"goal < {GOAL_BLOCK_MS:g} ms")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("entries in the chain before the blocks")
    ax.set_ylabel("ms per block")
    ax.set_title("python -m chain.verify: cost of a block vs chain size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    path = directory / "verify_per_block.png"
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.verify_rate", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--blocks", type=int, default=200, help="blocks timed per size")
    parser.add_argument("--per-block", type=int, default=10, help="entries per timed block")
    parser.add_argument("--rate-entries", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, help="default: one per CPU")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "verify_rate")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both figures, merge them into results.json and plot the block cost."""
    from bench.machine import machine_info
    from bench.report import write_results

    args = _parser().parse_args(argv)
    sizes = list(QUICK_SIZES) if args.quick else sorted(args.sizes)
    rate_entries = 20_000 if args.quick else args.rate_entries
    repeats = 3 if args.quick else args.repeats
    jobs = args.jobs or default_jobs(2**62)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    started = time.perf_counter()
    rate = entry_rate(args.data_dir, rate_entries, jobs, repeats)
    costs = [
        block_cost(args.data_dir, size, args.blocks, args.per_block, repeats) for size in sizes
    ]
    shutil.rmtree(args.data_dir, ignore_errors=True)
    new = figures(rate, costs)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    kept = [
        f
        for f in results.get("figures", [])
        if not (f["id"] in (RATE_ID, BLOCK_ID) and f.get("backend") == BACKEND)
    ]
    results["figures"] = kept + new
    results.setdefault("plan", {})["verify_rate"] = {
        "sizes": sizes,
        "blocks": args.blocks,
        "per_block": args.per_block,
        "rate_entries": rate_entries,
        "repeats": repeats,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "machine": machine_info(),
        "load_average": list(os.getloadavg()),
        "runtime_s": time.perf_counter() - started,
    }
    write_results(args.out, results)
    _plot(args.plots_dir, costs)
    print(json.dumps(rounded(new), indent=2, sort_keys=True))
    return 0  # a missed goal is a result, not an error


if __name__ == "__main__":
    sys.exit(main())
