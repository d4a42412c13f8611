"""``python -m bench.finality``: finality latency, embedded (devnet) and on a real cluster.

Writes business commands at a steady rate (``--rate 0``: back to back, at
saturation) and measures, for each command, the time from "command
accepted" to "a final block holds its ledger entry":

* **embedded**: ``RIIK_CONSENSUS=devnet`` in this process, a seal (and the
  devnet consensus of every member) every ``--seal-interval`` seconds by a
  thread of its own, as the beat of an embedded server seals beside the
  writers; every signature check of the state machines is counted and
  timed, so the share of finality spent verifying signatures is measured,
  not estimated, and the CPU time of the writer and of the sealer is counted
  per finalized event;
* **cluster** (needs ``CELERY_BROKER_URL``): 4 supernodes, 4 witnesses and
  2 citizens as separate worker processes (:class:`chain.blocks.cluster.launcher.LocalCluster`),
  the registry host's worker on this run's database; finality is seen when
  the host has stored the block's supernode certificate.

Each run also compares the rate at which events became final with the rate
at which they were written (goal >= 0.95: consensus is never the
bottleneck), both counted over the steady part of the writing window (its
last three quarters). At saturation the same command is also run on
eventsourcing's stock recorder (no ledger, no consensus) for half the time
before and half after, and finalized events/s are judged against that bare
rate (issue 17: >= 0.85, p50 < 0.5 s, p99 < 1.5 s). When ``DATABASE_URL``
(or ``--database-url``) names a PostgreSQL server each mode runs on a
scratch database there (``<database>_finality_<mode>``, dropped after);
otherwise on SQLite files. The figures are merged into ``bench/results.json``
(replacing earlier finality figures of the same mode and database) and
plotted to ``bench/plots/finality_latency.png`` (``_postgres`` for
PostgreSQL). Scratch data goes to ``var/bench/finality`` (wiped at start).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import BENCH_DIR, DEFAULT_DATA_DIR, ROOT
from bench.progress import progress_bar
from bench.stats import latency_summary, rounded

P50_GOAL_S = 1.0
RATE_GOAL = 0.95
SATURATION_GOAL = 0.85
"""Issue 17: finalized events/s at saturation, against the bare write rate in the same run."""
SATURATED_P50_S = 0.5
SATURATED_P99_S = 1.5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.finality", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="writing time per run")
    parser.add_argument(
        "--rate", type=float, default=5.0, help="commands per second (0: as fast as accepted)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server (any database on it; default DATABASE_URL when it names one):"
        " each mode runs on a scratch database there; otherwise SQLite files",
    )
    parser.add_argument("--seal-interval", type=float, default=0.5, help="embedded seal period")
    parser.add_argument("--no-cluster", action="store_true", help="embedded run only")
    parser.add_argument("--no-embedded", action="store_true", help="cluster run only")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "finality")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument(
        "--profile-dir",
        type=Path,
        help="run each cluster worker under cProfile, writing <node>.prof here",
    )
    parser.add_argument("--only", choices=["embedded", "cluster"], help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-database", default="", help=argparse.SUPPRESS)
    return parser


def _setup(data_dir: Path, database_url: str) -> None:
    """Django on this child's fresh scratch database (``database_url``, or a SQLite file)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'host.sqlite3'}"
    os.environ["RIIK_LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def _final_size() -> int:
    from chain.blocks.models import FINAL, WITNESSED, BlockLog

    sizes = BlockLog.objects.filter(
        registry="business", block__level__in=[FINAL, WITNESSED]
    ).values_list("size", flat=True)
    return max(sizes, default=0)


def _ledger_size() -> int:
    from chain.ledger.models import LedgerHead

    head = LedgerHead.objects.filter(registry="business").first()
    return head.size if head else 0


def _drive(seconds: float, rate: float, write: Callable[[], object], label: str) -> dict[str, Any]:
    """Write at ``rate`` (0: back to back, saturation) for ``seconds``, polling
    finality every 10 ms; time each command's finality."""
    pending: list[tuple[int, float]] = []  # (ledger size after the command, accepted at)
    latencies: list[float] = []
    samples: list[tuple[float, int, int]] = []  # (time, written size, final size)
    start_size, start_final = _ledger_size(), _final_size()
    started = time.monotonic()
    stop_writing = started + seconds
    finished_at = started
    writer_cpu = 0.0
    polled = 0.0
    with progress_bar() as bar:
        task = bar.add_task(f"{label}: writing, then commands final", total=None)
        written = 0
        while True:
            now = time.monotonic()
            writing = now < stop_writing
            if not writing and not pending:
                break
            if writing and (rate <= 0 or now >= started + written / rate):
                cpu = time.thread_time()
                write()
                pending.append((_ledger_size(), time.monotonic()))
                writer_cpu += time.thread_time() - cpu
                written += 1
                if rate <= 0 and time.monotonic() - polled < 0.01:
                    continue  # saturation: poll finality every 10 ms, not per command
            final = _final_size()
            seen = polled = time.monotonic()
            samples.append((seen, _ledger_size(), final))
            while pending and pending[0][0] <= final:
                latencies.append(seen - pending.pop(0)[1])
                finished_at = seen
                bar.advance(task)
            if now > stop_writing + 120:
                break  # finality stalled: report what was measured
            if rate > 0 or not writing:
                time.sleep(0.01)
    events = _ledger_size() - start_size
    # Throughput in the steady part of the writing window (after a quarter
    # of it): events written there against events that became final there.
    window = [x for x in samples if started + seconds / 4 <= x[0] <= stop_writing]
    if len(window) >= 2:
        span = window[-1][0] - window[0][0]
        written_rate = (window[-1][1] - window[0][1]) / span
        final_rate = (window[-1][2] - window[0][2]) / span
    else:
        written_rate = final_rate = 0.0
    return {
        "commands": written,
        "commands_per_s": written / seconds,
        "events": events,
        "final_events": _final_size() - start_final,
        "not_final": len(pending),
        "latency": latency_summary(latencies) if latencies else {},
        "write_events_per_s": written_rate,
        "final_events_per_s": final_rate,
        "rate_ratio": final_rate / written_rate if written_rate else 0.0,
        "drain_s": finished_at - stop_writing,
        "writer_cpu_s": writer_cpu,
    }


def _bare_commands_per_s(seconds: float, data_dir: Path) -> float:
    """The baseline: the same command on eventsourcing's stock recorder, back to back."""
    from bench.throughput import ACTOR, TODAY, BareBusinessRegistry, bare_env, registrations

    app = BareBusinessRegistry(env=bare_env(data_dir))
    founder = _founder()
    done = 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        app.register_company(registrations(1, done, founder)[0], ACTOR, TODAY)
        done += 1
    app.close()
    return done / seconds


def _founder() -> str:
    from bench.throughput import registered_founder

    return registered_founder()


def _ledger_writer() -> Callable[[], object]:
    """One ``register_company`` on the product's business registry per call."""
    from bench.throughput import ACTOR, TODAY, registrations
    from registries.business.application import BusinessRegistry
    from registries.common.application import running

    app = running(BusinessRegistry)
    founder = _founder()
    count = [0]

    def write() -> object:
        count[0] += 1
        return app.register_company(registrations(1, count[0], founder)[0], ACTOR, TODAY)

    return write


def message_label(message: object) -> str:
    """A consensus message's kind for counting: its type, and a vote's tier and kind."""
    from chain.consensus.messages import CommittedBlock, FinalBlock, Vote

    if isinstance(message, Vote):
        return f"{message.tier} {message.kind}"
    if isinstance(message, CommittedBlock):
        return f"{message.qc.tier} commit"
    if isinstance(message, FinalBlock):
        return "final block"
    return type(message).__name__


def measure_embedded(args: argparse.Namespace) -> dict[str, Any]:
    """Devnet consensus in this process, sealed every ``seal_interval`` seconds by a
    thread of its own (as the beat of an embedded server seals beside the writers)."""
    import threading

    from django.db import connection
    from django.test import override_settings

    from chain.blocks.models import Block
    from chain.blocks.sealing import seal_pending
    from chain.consensus.crypto import SignatureVerifier
    from chain.consensus.node import ChainNode

    spent = {"checks": 0, "seconds": 0.0, "sealing": 0.0, "sealer_cpu": 0.0}
    original = SignatureVerifier.verify_statement
    handle = ChainNode.handle
    delivered: dict[str, int] = {}

    def counted(self: ChainNode, src: str, message: Any) -> Any:
        # Every message a devnet node receives passes here: the devnet pump
        # delivers exactly the nodes' sends, one per recipient, as the broker does.
        label = message_label(message)
        delivered[label] = delivered.get(label, 0) + 1
        return handle(self, src, message)

    def timed(self: SignatureVerifier, *a: Any, **kw: Any) -> bool:
        before = self.checks
        t0 = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            if self.checks != before:  # a real check, not a memo hit
                spent["checks"] += 1
                spent["seconds"] += time.perf_counter() - t0

    done = threading.Event()

    def sealer() -> None:
        with override_settings(RIIK_CONSENSUS="devnet"):
            try:
                while not done.wait(args.seal_interval):
                    cpu, t0 = time.thread_time(), time.perf_counter()
                    seal_pending()
                    spent["sealing"] += time.perf_counter() - t0
                    spent["sealer_cpu"] += time.thread_time() - cpu
            finally:
                connection.close()

    before = _bare_commands_per_s(args.seconds / 2, Path(args.data_dir)) if args.rate <= 0 else 0.0
    write = _ledger_writer()
    SignatureVerifier.verify_statement = timed  # type: ignore[method-assign]
    ChainNode.handle = counted  # type: ignore[method-assign]
    thread = threading.Thread(target=sealer, name="sealer")
    try:
        with override_settings(RIIK_CONSENSUS="devnet"):
            thread.start()
            result = _drive(args.seconds, args.rate, write, "embedded")
    finally:
        done.set()
        thread.join()
        SignatureVerifier.verify_statement = original  # type: ignore[method-assign]
        ChainNode.handle = handle  # type: ignore[method-assign]
    blocks = Block.objects.count()
    result["messages_per_block"] = sum(delivered.values()) / blocks if blocks else 0.0
    result["messages_per_block_by_kind"] = {
        label: count / blocks for label, count in sorted(delivered.items()) if blocks
    }
    result["blocks"] = blocks
    result["signature_checks_per_block"] = spent["checks"] / blocks if blocks else 0.0
    result["signature_share_of_finality_time"] = (
        spent["seconds"] / spent["sealing"] if spent["sealing"] else 0.0
    )
    final = result["final_events"]
    result["cpu_ms_per_final_event"] = {
        "writer": 1000 * result["writer_cpu_s"] / final if final else 0.0,
        "sealer": 1000 * spent["sealer_cpu"] / final if final else 0.0,
    }
    result["seal_ms_per_block"] = 1000 * spent["sealing"] / blocks if blocks else 0.0
    if args.rate <= 0:
        _add_bare(result, before, args)
    return result


def _add_bare(result: dict[str, Any], before: float, args: argparse.Namespace) -> None:
    """Record the bare rate: ``before`` the run and another half run now, after it.

    Half before, half after: a shared machine's load drifts over a run, and
    both halves see it as the measured run did.
    """
    after = _bare_commands_per_s(args.seconds / 2, Path(args.data_dir))
    result["bare_commands_per_s_rounds"] = [before, after]
    result["bare_commands_per_s"] = (before + after) / 2


def measure_cluster(args: argparse.Namespace) -> dict[str, Any]:
    """4 supernodes, 4 witnesses, 2 citizens as worker processes on the broker."""
    from django.conf import settings

    from chain.blocks.cluster.launcher import LocalCluster
    from chain.blocks.cluster.nodedb import node_summaries
    from chain.blocks.models import Block

    cluster = LocalCluster(
        base=Path(settings.RIIK_DATA_DIR) / "cluster",
        prefix=f"{os.environ.get('RIIK_CLUSTER_PREFIX', 'riik')}-bench-{uuid.uuid4().hex[:8]}",
        supernodes=4,
        witnesses=4,
        citizens=2,
        host_env={"DATABASE_URL": os.environ["DATABASE_URL"]},
        profile_dir=args.profile_dir,
    )
    cluster.prepare()
    cluster.start_all()
    try:
        deadline = time.monotonic() + 90
        nodes = cluster.node_list()
        while len(node_summaries(n.database_url for n in nodes)) < len(nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("cluster nodes did not start within 90 s")
            time.sleep(0.5)
        saturate = args.rate <= 0
        before = _bare_commands_per_s(args.seconds / 2, Path(args.data_dir)) if saturate else 0.0
        workers = list(cluster.nodes.values())
        cpu_before = _cpu_by_role(workers)
        result = _drive(args.seconds, args.rate, _ledger_writer(), "cluster")
        spent = _cpu_by_role(workers)
        final = result["final_events"]
        result["cpu_ms_per_final_event"] = {
            "writer": 1000 * result["writer_cpu_s"] / final if final else 0.0,
            **{
                role: 1000 * (spent[role] - cpu_before.get(role, 0.0)) / final if final else 0.0
                for role in spent
            },
        }
        if saturate:
            _add_bare(result, before, args)
    finally:
        cluster.stop(timeout=5)
        cluster.drop_databases()  # the nodes' own databases go with the host's scratch one
    result["blocks"] = Block.objects.count()
    if args.profile_dir is not None:
        result["broker_messages_per_block"] = broker_messages(args.profile_dir, result["blocks"])
    return result


def broker_messages(profile_dir: Path, blocks: int) -> dict[str, dict[str, float]]:
    """Broker messages per block each role sent and handled, read from the workers'
    cProfile files (``--profile-dir``): calls of ``transport.send`` (every task a
    worker sends: consensus messages, reports, ledger leaves) and of the tasks
    that deliver consensus messages (one per broker message)."""
    import pstats

    counted = {
        ("transport.py", "send"): "sent",
        ("node.py", "deliver"): "delivered",
        ("node.py", "deliver_many"): "delivered",
        ("node.py", "ledger_batch"): "ledger",
    }
    by_role: dict[str, dict[str, float]] = {}
    for path in sorted(profile_dir.glob("*.prof")):
        role = path.stem.rsplit("-", 1)[0]  # supernode-3 -> supernode; host -> host
        totals = by_role.setdefault(role, {"sent": 0.0, "delivered": 0.0, "ledger": 0.0})
        for (filename, _, function), (_, calls, *_) in pstats.Stats(str(path)).stats.items():  # type: ignore[attr-defined]
            what = counted.get((Path(filename).name, function))
            if what is not None and "chain/blocks/cluster" in filename:
                totals[what] += calls / blocks if blocks else 0.0
    return by_role


def _cpu_by_role(workers: Sequence[Any]) -> dict[str, float]:
    """CPU seconds (user + system) the cluster's worker processes used so far, per tier.

    Read from ``/proc/<pid>/stat`` (Linux; nothing elsewhere): each worker
    is one process (``--pool=solo``).
    """
    tick = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = {}
    for worker in workers:
        if worker.process is None:
            continue
        try:
            stat = Path(f"/proc/{worker.process.pid}/stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name; utime and stime are 14 and 15.
        fields = stat.rsplit(")", 1)[1].split()
        spent[worker.tier] = (
            spent.get(worker.tier, 0.0) + (int(fields[11]) + int(fields[12])) / tick
        )
    return spent


def finality_figures(measured: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``results.json`` figures of the measured modes, with their goals judged.

    A run at saturation (it measured ``bare_commands_per_s``) is judged by
    issue 17's goals: finalized events/s >= ``SATURATION_GOAL`` of the bare
    write rate in the same run, p50 < 0.5 s and p99 < 1.5 s.
    """
    figures = []
    for mode, data in measured.items():
        latency = data["latency"]
        p50 = latency.get("p50_ms", float("inf")) / 1000
        p99 = latency.get("p99_ms", float("inf")) / 1000
        backend = f"{mode}, {data.get('database', 'sqlite')}"
        saturated = "bare_commands_per_s" in data
        if saturated:
            goal: str | None = f"p50 < {SATURATED_P50_S} s, p99 < {SATURATED_P99_S} s"
            passed: bool | None = p50 < SATURATED_P50_S and p99 < SATURATED_P99_S
        elif mode == "cluster":
            goal, passed = f"p50 < {P50_GOAL_S:g} s", p50 < P50_GOAL_S
        else:
            goal, passed = None, None
        figures.append(
            {
                "id": "finality_latency",
                "figure": 5,
                "backend": backend,
                "title": f"Finality latency, command accepted -> final ({mode})",
                "goal": goal,
                "pass": passed,
                "value": latency,
                "details": {k: v for k, v in data.items() if k != "latency"},
            }
        )
        figures.append(
            {
                "id": "finality_rate",
                "figure": 5,
                "backend": backend,
                "title": f"Finalized events/s vs written events/s ({mode})",
                "goal": f">= {RATE_GOAL}",
                "pass": data["rate_ratio"] >= RATE_GOAL,
                "ratio": data["rate_ratio"],
                "ratio_of": "finalized events/s / written events/s, same run",
                "value": {
                    "final_events_per_s": data["final_events_per_s"],
                    "write_events_per_s": data["write_events_per_s"],
                },
            }
        )
        if saturated:
            per_command = data["events"] / data["commands"] if data["commands"] else 0.0
            bare = data["bare_commands_per_s"] * per_command
            ratio = data["final_events_per_s"] / bare if bare else 0.0
            figures.append(
                {
                    "id": "finality_saturation",
                    "figure": 5,
                    "backend": backend,
                    "title": f"Finalized events/s at saturation vs bare eventsourcing ({mode})",
                    "goal": f">= {SATURATION_GOAL}",
                    "pass": ratio >= SATURATION_GOAL,
                    "value": data["final_events_per_s"],
                    "baseline": bare,
                    "ratio": ratio,
                    "ratio_of": "finalized events/s / bare eventsourcing events/s, same run",
                    "details": {
                        "commands_per_s": data["commands_per_s"],
                        "bare_commands_per_s": data["bare_commands_per_s"],
                        "cpu_ms_per_final_event": data.get("cpu_ms_per_final_event", {}),
                    },
                }
            )
    return figures


def _plot(directory: Path, figures: Sequence[dict[str, Any]], database: str) -> Path:
    """p50 and p99 of every recorded ``finality_latency`` figure on ``database``
    (this run's and earlier runs' of other modes), with their goals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    shown = [
        f
        for f in figures
        if f["id"] == "finality_latency" and f["backend"].endswith(f", {database}")
    ]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for offset, key in ((-0.2, "p50_ms"), (0.2, "p99_ms")):
        ax.bar(
            [i + offset for i in range(len(shown))],
            [f["value"].get(key, 0) / 1000 for f in shown],
            width=0.4,
            label=key.replace("_ms", ""),
        )
    ax.axhline(SATURATED_P50_S, color="grey", linestyle="--", label="p50 goal, saturated")
    ax.axhline(SATURATED_P99_S, color="grey", linestyle=":", label="p99 goal, saturated")
    ax.axhline(P50_GOAL_S, color="black", linestyle="-.", label="cluster p50 goal, 5/s")
    ax.set_xticks(range(len(shown)), [f["backend"].split(",")[0] for f in shown])
    ax.set_yscale("log")
    ax.set_ylabel("seconds, command accepted -> final")
    ax.set_title(f"Finality latency ({database})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    suffix = "" if database == "sqlite" else f"_{database}"
    path = directory / f"finality_latency{suffix}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _scratch_name(url: str, mode: str) -> str:
    """The scratch database of ``mode``: named after the database ``url`` names
    (``<db>_finality_<mode>``), so runs against different databases of one
    server never drop each other's; ``riik_bench_finality_<mode>`` for the
    server's maintenance database."""
    from urllib.parse import unquote, urlsplit

    name = unquote(urlsplit(url).path[1:])
    prefix = "riik_bench" if name in ("", "postgres") else name
    return f"{prefix}_finality_{mode}"


def _child(mode: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """Measure one mode in a child process with its own scratch data and database."""
    out = args.data_dir / f"{mode}.json"
    scratch = None
    database = ""
    if _is_postgres(args.database_url):
        from bench.postgres import ScratchDatabase

        scratch = ScratchDatabase(args.database_url, _scratch_name(args.database_url, mode))
        database = scratch.create()
    command = [
        sys.executable, "-m", "bench.finality", "--only", mode,
        "--seconds", str(args.seconds), "--rate", str(args.rate),
        "--seal-interval", str(args.seal_interval),
        "--data-dir", str(args.data_dir / mode), "--child-out", str(out),
        "--child-database", database,
    ]  # fmt: skip
    if args.profile_dir is not None:
        command += ["--profile-dir", str(args.profile_dir.resolve())]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    finally:
        if scratch is not None:
            scratch.drop()
    if done.returncode != 0:
        print(f"{mode}: measurement process failed (exit {done.returncode})", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    result["database"] = "postgres" if scratch is not None else "sqlite"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the finality benchmark and merge its figures into the results file."""
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    if args.only:
        _setup(args.data_dir, args.child_database)
        measure = measure_embedded if args.only == "embedded" else measure_cluster
        args.child_out.write_text(json.dumps(measure(args)))
        from registries.common.application import stop_all

        stop_all()  # closed before Django's connections go at exit
        return 0
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    modes = [] if args.no_embedded else ["embedded"]
    if not args.no_cluster:
        if os.environ.get("CELERY_BROKER_URL"):
            modes.append("cluster")
        else:
            print("cluster skipped: CELERY_BROKER_URL is not set", file=sys.stderr)
    measured: dict[str, dict[str, Any]] = {}
    for mode in modes:
        load_before = os.getloadavg()[0]
        result = _child(mode, args)
        if result is not None:
            # The machine is shared: a figure means little without the load it ran under.
            result["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
            measured[mode] = result
    database = "postgres" if _is_postgres(args.database_url) else "sqlite"
    from bench.report import merge_results

    # A run on one database replaces that database's finality figures only.
    results = merge_results(
        args.out,
        finality_figures(measured),
        plan={
            f"finality_{database}": {
                "seconds": args.seconds,
                "rate": args.rate,
                "seal_interval": args.seal_interval,
            }
        },
    )
    _plot(args.plots_dir, results["figures"], database)
    print(json.dumps(rounded(measured), indent=2, sort_keys=True))
    return 0 if len(measured) == len(modes) else 1


if __name__ == "__main__":
    sys.exit(main())
