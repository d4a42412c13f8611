"""Citizen API under load: locust against gunicorn on PostgreSQL (``make bench``).

    python -m bench.citizen_load            # users 10, 25, 50; 30 s per step
    python -m bench.citizen_load --quick    # users 5, 10; 8 s per step

A scratch database ``riik_bench_citizen`` is created on the server in
``RIIK_BENCH_POSTGRES_URL`` (and dropped after; ``--database-url`` uses an
existing empty database instead), seeded with citizens who hold e-ID keys and
a company each, and served by ``gunicorn config.wsgi`` (``--workers`` 2 x
``--threads`` 4, throttling lifted) while :mod:`bench.citizen_beat` seals
blocks beside it, as a deployment's beat does. The load generator
(:mod:`bench.citizen_locust`) steps the number of signed-in citizens up and
records p50/p95/p99 and the error rate of the read and the write mix. The
figures go into ``bench/results.json`` under ``citizen_api`` (the rest of the
file is left as the ledger benchmark wrote it) and ``bench/plots/citizen_api.png``.

Goals (issue 7): at 50 users, p95 < 50 ms for reads and < 200 ms for writes,
no errors. A missed goal is a result, not a failure of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.postgres import ScratchDatabase, server_url, server_version
from bench.progress import err_console
from bench.report import merge_results

ROOT = Path(__file__).resolve().parent.parent
GOALS_MS = {"read": 50.0, "write": 200.0}
GOAL_USERS = 50
WORKERS, THREADS = 2, 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A shared machine's load can make gunicorn's workers take minutes to import Django.
def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(url + "/api/v1/chain/blocks/", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url} within {timeout:.0f} s")


def load_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of the seeder, gunicorn, the beat and locust for one database."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")},
        "DATABASE_URL": database_url,
        "RIIK_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        "RIIK_LOG_LEVEL": "WARNING",
        **{f"RIIK_THROTTLE_{scope}": "1000000/minute"
           for scope in ("ANON", "USER", "SIGN_IN", "ME", "E_SERVICES")},
    }  # fmt: skip


def seed_citizens(env: dict[str, str], citizens: int, seed: Path) -> None:
    """Migrate the database and register ``citizens`` key holders with a company each."""
    subprocess.run(
        [sys.executable, "-m", "bench.citizen_seed", "--citizens", str(citizens),
         "--out", str(seed)],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, check=True,
    )  # fmt: skip


def serve_and_load(
    env: dict[str, str],
    seed: Path,
    users: str,
    seconds: float,
    workers: int,
    threads: int,
    steps_file: Path,
) -> list[dict[str, Any]]:
    """Serve the database with gunicorn (and the sealing beat beside it), run locust's
    steps of ``users`` against it and return their figures; the servers are stopped after.

    Raises ``RuntimeError`` or ``subprocess.CalledProcessError`` when a part failed.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = beat = None
    try:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers),
             "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        beat = subprocess.Popen([sys.executable, "-m", "bench.citizen_beat"], cwd=ROOT, env=env)
        _wait_until_up(url, server)
        err_console.print(f"locust: users {users}, {seconds:.0f} s each, against {url}")
        subprocess.run(
            [sys.executable, "-m", "bench.citizen_locust", "--host", url, "--seed", str(seed),
             "--users", users, "--seconds", str(seconds), "--out", str(steps_file)],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        steps: list[dict[str, Any]] = json.loads(steps_file.read_text())
        if beat.poll() is not None:
            # Without the beat nothing is sealed: the figures would not be production's.
            raise RuntimeError(f"the sealing beat exited early (code {beat.returncode})")
        return steps
    finally:
        for process in (server, beat):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def goals_met(steps: list[dict[str, Any]]) -> dict[str, bool] | None:
    """Per kind (read, write): was its p95 under the goal at 50 users, with no errors?"""
    at_goal = next((s for s in steps if s["users"] == GOAL_USERS), None)
    if at_goal is None:
        return None
    return {
        kind: at_goal[kind].get("p95_ms", float("inf")) < GOALS_MS[kind]
        and at_goal[kind]["errors"] == 0
        for kind in GOALS_MS
    }


def plot(path: Path, steps: list[dict[str, Any]]) -> None:
    """p50/p95/p99 of reads and writes against the number of users, with the goals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    users = [step["users"] for step in steps]
    for ax, kind in zip(axes, ("read", "write"), strict=True):
        for quantile, style in (("p50_ms", "o-"), ("p95_ms", "s-"), ("p99_ms", "^-")):
            ax.plot(users, [step[kind].get(quantile, float("nan")) for step in steps], style,
                    label=quantile.removesuffix("_ms"))  # fmt: skip
        ax.axhline(GOALS_MS[kind], color="grey", linestyle="--", label=f"p95 goal at {GOAL_USERS}")
        ax.set_title(f"citizen {kind}s")
        ax.set_xlabel("concurrent signed-in citizens")
        ax.set_ylabel("latency (ms)")
        ax.legend()
    fig.suptitle("Citizen API under load: gunicorn on PostgreSQL (locust)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (goals met or not), 1 when it could not."""
    parser = argparse.ArgumentParser(prog="python -m bench.citizen_load")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", default=None, help="comma-separated user counts")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--citizens", type=int, default=60)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench" / "citizen")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=ROOT / "bench" / "plots")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=THREADS, help="gunicorn threads per worker")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an existing, empty PostgreSQL database to use as is (left with the bench's data) "
        "instead of creating and dropping riik_bench_citizen",
    )
    args = parser.parse_args(argv)
    users = args.users or ("5,10" if args.quick else "10,25,50")
    seconds = args.seconds or (8.0 if args.quick else 30.0)

    # The machine may be shared: its load says how far the figures can be trusted.
    load_before = os.getloadavg()[0]
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    scratch = ScratchDatabase(args.database_url or server_url(), name="riik_bench_citizen")
    try:
        database_url = args.database_url or scratch.create()
        if args.database_url:
            scratch.version = server_version(args.database_url)
    except Exception as error:  # psycopg.Error and OSError: the server is not there
        err_console.print(f"PostgreSQL unreachable ({error}); citizen API benchmark skipped")
        return 0
    env = load_env(database_url, args.data_dir)
    seed = args.data_dir / "seed.json"
    steps: list[dict[str, Any]] = []
    try:
        err_console.print(f"seeding {args.citizens} citizens into {scratch.name}")
        seed_citizens(env, args.citizens, seed)
        steps = serve_and_load(env, seed, users, seconds, args.workers, args.threads,
                               args.data_dir / "steps.json")  # fmt: skip
    except (subprocess.CalledProcessError, RuntimeError) as error:
        err_console.print(f"citizen API benchmark failed: {error}")
        return 1
    finally:
        if not args.database_url:
            scratch.drop()

    goals = goals_met(steps)
    citizen_api = {
        "mode": "quick" if args.quick else "full",
        "server": f"gunicorn config.wsgi, {args.workers} workers x {args.threads} threads, "
        f"PostgreSQL {scratch.version or '?'}; blocks sealed every "
        f"{env.get('RIIK_BLOCK_INTERVAL', '2')} s beside it",
        "think_time_s": [0.5, 1.5],
        "mix": "reads 9/10 (me/person, me/companies, company card), "
        "writes 1/10 (register a company online, signed)",
        "goals_p95_ms_at_50_users": GOALS_MS,
        "goals_met": goals,
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "steps": steps,
    }
    merge_results(args.out, citizen_api=citizen_api)
    plot(args.plots_dir / "citizen_api.png", steps)
    for step in steps:
        parts = []
        for kind in ("read", "write"):
            figures = step[kind]
            parts.append(
                f"{kind}: p50 {figures.get('p50_ms', 0):.1f} p95 {figures.get('p95_ms', 0):.1f} "
                f"p99 {figures.get('p99_ms', 0):.1f} ms, errors {figures['error_rate']:.2%}"
            )
        err_console.print(f"{step['users']:>3} users  " + "  ".join(parts))
        for kind in ("read", "write"):
            for message, count in step[kind].get("error_kinds", {}).items():
                err_console.print(f"     {kind} error x{count}: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
