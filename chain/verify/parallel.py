"""Verifying a large bundle with several processes, one group of logs each (``--jobs``).

The entries of a registry log depend only on the entries before them in
that log (seq, ``prev_hash``, the Merkle tree), so the logs are checked side
by side: each worker process reads the bundle and verifies the entries of
its logs with the same checks as :class:`~chain.verify.verifier.ChainVerifier`,
noting each log's size and root at every block. The main process reads the
bundle too and verifies everything else in order (the header, every block:
hash, link, signatures, checkpoints, levels; the chain log's and the money
log's entries, which interleave with the blocks), counting the worker logs'
entries; a block's roots of those logs are compared with the workers' when
they are done.

The verdict is the single-process one: when anything fails, in a worker or
in the main process, or the two disagree, the bundle is verified again in one
process (:func:`chain.verify.stream.verify_stream`), which names the first bad
item in bundle order. A good bundle's report is the one a single process
writes (a test keeps them equal). Range bundles (``from_height``) are always
verified in one process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO

from chain.merkle import MerkleFrontier
from chain.protocol import CHAIN_LOG
from chain.verify.money import MONEY_LOG
from chain.verify.records import BUNDLE_FORMAT, BundleFormatError, ParsedEntry
from chain.verify.report import Report
from chain.verify.stream import (
    MAX_LINE_BYTES,
    entry_registry,
    fast_entry,
    parse_line,
    read_records,
    verify_stream,
)
from chain.verify.verifier import ChainVerifier

__all__ = ["SMALL_BUNDLE_BYTES", "default_jobs", "verify_file"]

SMALL_BUNDLE_BYTES = 16 * 1024 * 1024
"""Below this size a bundle is verified in one process by default: starting
workers costs more than it saves."""

_BLOCK_START = b'{"block_hash":'
_TAIL_BYTES = 8 * 1024 * 1024
"""How much of the bundle's end is searched for the last block (to balance the workers)."""


def default_jobs(size: int) -> int:
    """Processes for a bundle of ``size`` bytes: one when small, else one per CPU."""
    if size < SMALL_BUNDLE_BYTES:
        return 1
    return max(1, os.cpu_count() or 1)


class _Disagreement(Exception):
    """The parallel run cannot vouch for the bundle: verify it again in one process."""


@dataclass
class _LogResult:
    """What a worker found of one log: its state at the end, and at each block
    where it had grown, (block number, size, root)."""

    entries: int
    head_hash: bytes
    frontier_size: int
    frontier_hashes: list[bytes]
    payloads_omitted: int
    roots: list[tuple[int, int, bytes]]


def _lines(stream: IO[bytes]) -> Iterable[bytes]:
    """The bundle's lines without their newline (a malformed one ends the run)."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES or not raw.endswith(b"\n") or raw == b"\n":
            raise _Disagreement("malformed line")
        yield raw[:-1]


def _check_logs(path: str, registries: Sequence[str]) -> dict[str, _LogResult]:
    """A worker: verify the entries of ``registries`` in the bundle at ``path``.

    Raises on the first problem (the caller then verifies in one process).
    """
    wanted = set(registries)
    verifier = ChainVerifier()
    results: dict[str, _LogResult] = {}
    with open(path, "rb") as stream:
        lines = iter(_lines(stream))
        header = parse_line(1, next(lines))
        verifier.start(header)
        logs = {name: verifier.log(name) for name in registries}
        recorded = dict.fromkeys(registries, 0)
        roots: dict[str, list[tuple[int, int, bytes]]] = {name: [] for name in registries}
        blocks = 0
        number = 1
        for raw in lines:
            number += 1
            if raw.startswith(_BLOCK_START):
                blocks += 1
                for name, log in logs.items():
                    size = log.frontier.size
                    if size != recorded[name]:
                        roots[name].append((blocks, size, log.root()))
                        recorded[name] = size
                continue
            registry = entry_registry(raw)
            if registry not in wanted:
                continue
            parsed = fast_entry(raw)
            if parsed is not None:
                if parsed.row.registry != registry:
                    raise _Disagreement(f"line {number}: registry")
                verifier.parsed_entry(parsed)
                continue
            record = parse_line(number, raw)
            if record.get("type") != "entry" or record.get("registry") != registry:
                raise _Disagreement(f"line {number}: not an entry of {registry}")
            verifier.entry(record)
    report = verifier.report
    for name, log in logs.items():
        results[name] = _LogResult(
            entries=log.report.entries,
            head_hash=log.report.head_hash,
            frontier_size=log.frontier.size,
            frontier_hashes=list(log.frontier.hashes),
            payloads_omitted=0,
            roots=roots[name],
        )
    # A worker's omitted payloads are all of its logs' (the count is not per log).
    if registries:
        results[registries[0]].payloads_omitted = report.payloads_omitted
    return results


def _last_sizes(path: str) -> dict[str, int]:
    """Each log's size in the last block found near the end of the bundle (for
    balancing the workers; empty when none is found)."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        end = stream.tell()
        stream.seek(max(0, end - _TAIL_BYTES))
        tail = stream.read()
    for raw in reversed(tail.split(b"\n")):
        if raw.startswith(_BLOCK_START):
            try:
                record = parse_line(0, raw)
            except BundleFormatError:
                return {}
            logs = record.get("header", {}).get("logs", {})
            return {
                name: log["size"]
                for name, log in logs.items()
                if isinstance(log, dict) and isinstance(log.get("size"), int)
            }
    return {}


def _groups(registries: Sequence[str], sizes: dict[str, int], workers: int) -> list[list[str]]:
    """The worker logs split into ``workers`` groups of about equal entries (largest first)."""
    groups: list[list[str]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for name in sorted(registries, key=lambda name: (-sizes.get(name, 0), name)):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += sizes.get(name, 0) or 1
    return [group for group in groups if group]


def verify_file(
    path: str,
    trusted_keys: Iterable[str] | None = None,
    *,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    on_block: Callable[[str], None] | None = None,
) -> Report:
    """Verify the bundle at ``path`` with up to ``jobs`` processes (see the module).

    Raises :class:`VerificationFailure` or :class:`BundleFormatError` as
    :func:`~chain.verify.stream.verify_stream` would, for the same first item.
    """
    trusted = None if trusted_keys is None else list(trusted_keys)
    if jobs > 1:
        with contextlib.suppress(Exception):
            # Any doubt (a failure, a disagreement, a worker lost): the
            # single-process run below decides, naming the first bad item.
            return _verify_parallel(path, trusted, jobs, progress, on_block)
    with open(path, "rb") as stream:
        return verify_stream(stream, ChainVerifier(trusted, on_block=on_block), progress=progress)


def _verify_parallel(
    path: str,
    trusted: list[str] | None,
    jobs: int,
    progress: Callable[[int], None] | None,
    on_block: Callable[[str], None] | None,
) -> Report:
    with open(path, "rb") as stream:
        first = stream.readline(MAX_LINE_BYTES + 1)
    if not first.endswith(b"\n"):
        raise _Disagreement("no header line")
    header = parse_line(1, first[:-1])
    if header.get("type") != "header" or header.get("format") != BUNDLE_FORMAT:
        raise _Disagreement("not a bundle header")
    if "anchor" in header:
        raise _Disagreement("a range bundle is verified in one process")
    listed = header.get("registries")
    if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
        raise _Disagreement("malformed registries")
    # The chain log and the money log are checked with the blocks, in order.
    delegated = [name for name in dict.fromkeys(listed) if name not in (CHAIN_LOG, MONEY_LOG)]
    groups = _groups(delegated, _last_sizes(path), jobs)
    if not groups:
        raise _Disagreement("no logs to share")
    with ProcessPoolExecutor(max_workers=len(groups)) as pool:
        futures: list[Future[dict[str, _LogResult]]] = [
            pool.submit(_check_logs, path, group) for group in groups
        ]
        try:
            verifier, claimed = _main_pass(path, trusted, set(delegated), progress, on_block)
            found: dict[str, _LogResult] = {}
            for future in futures:
                found.update(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    report = verifier.report
    for name in delegated:
        result = found.get(name)
        if result is None or result.roots != claimed[name]:
            raise _Disagreement(f"registry {name}: roots")
        log = verifier.log(name)
        if result.entries != log.report.entries:
            raise _Disagreement(f"registry {name}: entries")
        log.report.head_hash = result.head_hash
        log.frontier = MerkleFrontier(result.frontier_size, result.frontier_hashes)
        report.payloads_omitted += result.payloads_omitted
    return report


def _main_pass(
    path: str,
    trusted: list[str] | None,
    delegated: set[str],
    progress: Callable[[int], None] | None,
    on_block: Callable[[str], None] | None,
) -> tuple[ChainVerifier, dict[str, list[tuple[int, int, bytes]]]]:
    """The main process's reading: every record but the delegated logs' entries,
    which are only counted; returns the verifier and, per delegated log, the
    (block number, size, root) each block that grew it signed."""
    verifier = ChainVerifier(trusted, on_block=on_block, delegated=delegated)
    with open(path, "rb") as stream:
        records = read_records(stream, progress, skip=delegated)
        _, header = next(records)
        if not isinstance(header, dict):
            raise _Disagreement("not a header")
        verifier.start(header)
        for number, record in records:
            if isinstance(record, str):
                verifier.counted_entry(record)
            elif isinstance(record, ParsedEntry):
                verifier.parsed_entry(record)
            else:
                kind = record.get("type")
                if kind not in {"entry", "block", "end", "header"}:
                    raise _Disagreement(f"line {number}: unknown record type")
                verifier.feed(record)
        verifier.finish(require_end=True)
    return verifier, verifier.claimed_roots()
