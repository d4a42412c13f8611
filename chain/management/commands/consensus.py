"""``manage.py consensus simulate`` and the membership changes of the chain.

``simulate``: seeded fault-injection runs of the consensus. The logic lives
in the pure :mod:`chain.consensus.simulator`; this command only parses
options, spreads seeds over processes, shows progress and prints the
summary. Run ``i`` uses seed ``--seed + i``, so any failing run is
reproduced with ``--seed <its seed> --runs 1``. Exit status: 0 when every
run was safe and, where liveness was expected (at most F supernodes faulty),
live; 1 otherwise.

``members``, ``register-enterprise``, ``delegate``, ``elect-board``,
``rotate-key`` and ``revoke-key``: show the member lists or record a change,
certified by a supernode quorum, in the chain log (:mod:`chain.blocks.membercommands`).
"""

from __future__ import annotations

import json
import os
import time
from argparse import ArgumentParser
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from chain.consensus.simulator.checker import RunReport, Summary
from chain.consensus.simulator.faults import BEHAVIOURS, FAULT_CLASSES, Behaviour, SimConfig
from chain.consensus.simulator.runner import simulate_many
from chain.consensus.simulator.search import SEARCHES, search

CHUNK = 20
"""Most seeds per unit of work handed to a worker process."""


def _chunks(seeds: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(seeds), size):
        yield list(seeds[start : start + size])


def run_seeds(config: SimConfig, seeds: Sequence[int], jobs: int = 1) -> Iterator[list[RunReport]]:
    """Run ``seeds`` on ``jobs`` processes, yielding reports in seed order, chunk by chunk."""
    # Small enough that every worker gets several chunks (an even spread
    # and a moving progress bar), large enough to amortise the pickling.
    size = max(1, min(CHUNK, len(seeds) // (4 * max(jobs, 1))))
    chunks = list(_chunks(seeds, size))
    if jobs <= 1 or len(chunks) == 1:
        for chunk in chunks:
            yield simulate_many(config, chunk)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # map() keeps seed order, so the summary does not depend on jobs.
        yield from pool.map(simulate_many, [config] * len(chunks), chunks)


def _behaviours(value: str) -> tuple[Behaviour, ...]:
    """The ``--behaviours`` list, or a clear error."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    chosen = tuple(behaviour for behaviour in FAULT_CLASSES if behaviour in names)
    if not names or len(chosen) != len(set(names)):
        raise CommandError(f"--behaviours takes some of {', '.join(FAULT_CLASSES)}, not {value!r}")
    return chosen


def _hex_option(value: str | None, option: str, size: int) -> bytes | None:
    """The bytes of a hex option, or a clear error."""
    if value is None:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != size or value != raw.hex():
        raise CommandError(f"{option} must be {2 * size} lowercase hex digits, not {value!r}")
    return raw


class Command(BaseCommand):
    """``consensus simulate`` and the membership actions."""

    help = (
        "Run the consensus under seeded faults; show or change the members "
        "(changes are certified by a supernode quorum and recorded in the chain log)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """The ``simulate`` subcommand and its options."""
        sub = parser.add_subparsers(dest="action", required=True)
        simulate = sub.add_parser("simulate", help="seeded fault-injection runs of all three tiers")
        simulate.add_argument("--witnesses", type=int, default=4)
        simulate.add_argument("--supernodes", type=int, default=4)
        simulate.add_argument("--citizens", type=int, default=3)
        simulate.add_argument(
            "--citizen-threshold", type=int, default=None, help="w (default: a majority)"
        )
        simulate.add_argument("--faulty-witnesses", type=int, default=1)
        simulate.add_argument("--faulty-supernodes", type=int, default=1)
        simulate.add_argument("--runs", type=int, default=100)
        simulate.add_argument("--seed", type=int, default=1, help="seed of the first run")
        simulate.add_argument("--target-height", type=int, default=5)
        simulate.add_argument(
            "--max-ticks",
            type=int,
            default=None,
            help="liveness bound (default: from GST and target)",
        )
        simulate.add_argument("--takeover-ticks", type=int, default=SimConfig.takeover_ticks)
        simulate.add_argument(
            "--jobs", type=int, default=1, help="worker processes (0: one per CPU)"
        )
        simulate.add_argument(
            "--behaviours",
            default=",".join(BEHAVIOURS),
            help=f"what faulty nodes do, comma-separated, of {','.join(FAULT_CLASSES)} "
            "(default: the fixed templates)",
        )
        simulate.add_argument(
            "--honest-amnesia",
            action="store_true",
            help="an honest node may restart with the state it had some ticks earlier",
        )
        simulate.add_argument(
            "--no-durable-signing",
            action="store_true",
            help="model nodes whose signing state is not durable (the checker must then fail)",
        )
        simulate.add_argument(
            "--search",
            choices=SEARCHES,
            default=None,
            help="search the adversary's choices over the runs (one process): "
            "random, or guided towards slow decisions",
        )
        simulate.add_argument("--json", action="store_true", help="print one JSON object only")
        simulate.add_argument("--no-progress", action="store_true")

        sub.add_parser("members", help="the recorded member lists and membership changes")
        register = sub.add_parser(
            "register-enterprise", help="register an enterprise (a voter and board candidate)"
        )
        register.add_argument("name", help="the enterprise's node name, e.g. bank-1")
        register.add_argument(
            "--public-key",
            help="its Ed25519 public key (64 hex digits; default: the key file "
            "RIIK_KEYS_DIR/NAME.pem, created if missing)",
        )
        delegate = sub.add_parser(
            "delegate", help="record an enterprise's vote for a board candidate"
        )
        delegate.add_argument("voter")
        delegate.add_argument("candidate")
        elect = sub.add_parser(
            "elect-board",
            help="record the board the delegated votes elect, from the next epoch",
        )
        rotate = sub.add_parser("rotate-key", help="give a member a new key from the next epoch")
        rotate.add_argument("tier", help="supernode, witness or citizen")
        rotate.add_argument("name")
        rotate.add_argument(
            "--public-key",
            help="the new public key (64 hex digits; default: a new key replacing the "
            "member's key file in RIIK_KEYS_DIR)",
        )
        revoke = sub.add_parser("revoke-key", help="stop a member's key from the next epoch")
        revoke.add_argument("tier", help="supernode, witness or citizen")
        revoke.add_argument("name")
        revoke.add_argument("--key-id", help="the key to revoke (8 hex digits; default: current)")
        for change in (register, delegate, elect, rotate, revoke):
            change.add_argument(
                "--timeout",
                type=float,
                default=30.0,
                help="in a cluster: seconds to wait for the supernodes' quorum (default 30)",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        """Dispatch on the action."""
        if options["action"] == "simulate":
            self.simulate(options)
        elif options["action"] == "members":
            self.members()
        else:
            self.change(options)

    def change(self, options: dict[str, Any]) -> None:
        """Record one membership change and say what was recorded."""
        from chain.blocks import membercommands
        from chain.blocks.memberstore import MembershipCommandError

        action = options["action"]
        timeout = options["timeout"]
        if not timeout > 0:
            raise CommandError("--timeout must be a positive number of seconds")
        try:
            if action == "register-enterprise":
                done = membercommands.register_enterprise(
                    options["name"],
                    _hex_option(options["public_key"], "--public-key", 32),
                    timeout=timeout,
                )
            elif action == "delegate":
                done = membercommands.delegate(
                    options["voter"], options["candidate"], timeout=timeout
                )
            elif action == "elect-board":
                done = membercommands.elect_board(timeout=timeout)
            elif action == "rotate-key":
                done = membercommands.rotate_key(
                    options["tier"],
                    options["name"],
                    _hex_option(options["public_key"], "--public-key", 32),
                    timeout=timeout,
                )
            else:
                done = membercommands.revoke_key(
                    options["tier"],
                    options["name"],
                    _hex_option(options["key_id"], "--key-id", 4),
                    timeout=timeout,
                )
        except MembershipCommandError as error:
            raise CommandError(f"{action} not recorded: {error}") from None
        self.stdout.write(done.description)
        self.stdout.write(
            f"certified at height {done.height} by {', '.join(done.signers)}; "
            f"applies from block {done.from_height}"
        )

    def members(self) -> None:
        """Print the member lists the recorded changes give and the changes themselves."""
        from chain.blocks import memberstore

        entries = memberstore.entries()
        if not entries:
            self.stdout.write("no membership recorded yet (the first block records the genesis)")
            return
        log = memberstore.recorded_log()
        last = memberstore.last_block()
        for tier in ("supernode", "witness", "citizen"):
            keys = log.keys_at(tier, last + 1)
            listed = ", ".join(f"{name}+{kid.hex()}" for name, kid in sorted(keys)) or "none"
            label = "witness board" if tier == "witness" else f"{tier}s"
            self.stdout.write(f"{label} from block {last + 1}: {listed}")
        enterprises = ", ".join(sorted(log.members["witness"])) or "none"
        self.stdout.write(f"enterprises: {enterprises}")
        votes = ", ".join(f"{v} -> {c}" for v, c in sorted(log.delegations.items())) or "none"
        self.stdout.write(f"delegated votes: {votes}; they elect: {', '.join(log.elect()) or '-'}")
        for entry in entries:
            self.stdout.write(
                f"consensus seq {entry.seq}: {entry.kind} certified at height "
                f"{entry.record['height']} by {', '.join(entry.signers)}, "
                f"from block {entry.record['from_height']}"
            )

    def simulate(self, options: dict[str, Any]) -> None:
        """Run the seeds, print the summary, fail when a run was unsafe or not live."""
        config = SimConfig(
            witnesses=options["witnesses"],
            supernodes=options["supernodes"],
            citizens=options["citizens"],
            citizen_threshold=options["citizen_threshold"],
            faulty_witnesses=options["faulty_witnesses"],
            faulty_supernodes=options["faulty_supernodes"],
            target_height=options["target_height"],
            max_ticks=options["max_ticks"],
            takeover_ticks=options["takeover_ticks"],
            behaviours=_behaviours(options["behaviours"]),
            honest_amnesia=options["honest_amnesia"],
            durable_signing=not options["no_durable_signing"],
        )
        try:
            config.validate()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1")
        seeds = list(range(options["seed"], options["seed"] + options["runs"]))
        jobs = options["jobs"] or os.cpu_count() or 1
        show = not options["no_progress"] and self.stderr.isatty()

        summary = Summary(config, seeds[0])
        worst = None
        started = time.perf_counter()
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not show,
            transient=True,
        ) as progress:
            task = progress.add_task("runs", total=len(seeds), status="")
            batches: Iterator[list[RunReport]]
            if options["search"] is None:
                batches = run_seeds(config, seeds, jobs)
            else:
                # Guided runs depend on the ones before: one process, in seed order.
                reports, worst = search(config, seeds, options["search"])
                batches = iter([reports])
                jobs = 1
            for reports in batches:
                for report in reports:
                    summary.add(report)
                unsafe, not_live = summary.safety_violations, summary.liveness_failures
                status = f"unsafe {unsafe} not live {not_live}"
                progress.update(task, advance=len(reports), status=status)
        elapsed = time.perf_counter() - started

        result = summary.to_dict()
        result["elapsed_seconds"] = round(elapsed, 2)
        result["runs_per_second"] = round(summary.runs / elapsed, 1) if elapsed else None
        result["jobs"] = jobs
        if options["search"] is not None:
            result["search"] = {
                "how": options["search"],
                "worst_policy": None if worst is None else worst.summary(),
            }
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=False))
        else:
            self._print(result)
        if not summary.ok:
            raise CommandError(
                f"{summary.safety_violations} safety violations, "
                f"{summary.liveness_failures} liveness failures "
                f"(seeds {summary.unsafe_seeds + summary.not_live_seeds})"
            )

    def _print(self, result: dict[str, Any]) -> None:
        seeds = result["seeds"]
        self.stdout.write(
            f"{result['runs']} runs (seeds {seeds[0]}..{seeds[1]}): "
            f"{result['safety_violations']} safety violations, "
            f"{result['liveness_failures']} liveness failures, {result['halted']} halted; "
            f"{result['evidence_recorded']} equivocations recorded as evidence; "
            f"{result['takeover_blocks']} blocks by supernode takeover"
        )
        self.stdout.write(f"expected: {result['expected']}")
        self.stdout.write(
            f"final height {result['final_height']['min']}..{result['final_height']['max']}, "
            f"ticks max {result['ticks']['max']} mean {result['ticks']['mean']}; "
            f"{result['messages']['sent']} messages; {result['runs_per_second']} runs/s "
            f"({result['elapsed_seconds']} s, {result['jobs']} jobs)"
        )
        for kind, seeds_of_kind in result["failing_seeds"].items():
            if seeds_of_kind:
                self.stdout.write(f"failing seeds ({kind}): {seeds_of_kind}")
        for failure in result["failures"]:
            self.stdout.write(json.dumps(failure))
        self.stdout.write("OK" if result["ok"] else "FAIL")
