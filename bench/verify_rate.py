"""Figure 2: ``chain verify`` entries/s vs raw hashlib on the same hashes.

Needs Django set up. The log written by figure 1 is sealed into a block
first; each timed run is exactly ``manage.py chain verify --no-progress``
(bundle records read from the database, fed to ``ChainVerifier``, then the
storage checks), alternating with the raw-hash baseline of
:mod:`bench.hashes` over byte strings of the same sizes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command

from bench.hashes import hash_inputs, hashes_per_entry, time_raw_hashes
from bench.plan import Plan
from bench.stats import median
from chain.blocks.sealing import seal_pending
from chain.encoding import entry_leaf
from chain.export import entry_records
from chain.ledger.models import LedgerEntry


def log_bytes() -> tuple[list[bytes], list[bytes]]:
    """Payloads and canonical envelopes (leaves) of every entry of every registry log."""
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
