"""``manage.py cluster``: run supernodes, witnesses and citizens as processes on this host."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.live import Live
from rich.table import Table

from chain.blocks.cluster.genesis import EPOCH_LENGTH
from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.cluster.nodedb import node_summaries
from chain.blocks.cluster.transport import HOST
from chain.blocks.models import Block


class Command(BaseCommand):
    """Start a local cluster, show its status live and stop it cleanly on Ctrl-C."""

    help = (
        "Start the consensus nodes as separate Celery worker processes (each with its own "
        "queue, key and database) plus the registry host's worker, and show a live status "
        "table; Ctrl-C stops them. Needs CELERY_BROKER_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--supernodes", type=int, default=4)
        parser.add_argument("--witnesses", type=int, default=4)
        parser.add_argument("--citizens", type=int, default=3)
        parser.add_argument("--citizen-threshold", type=int, default=2)
        parser.add_argument(
            "--dir",
            default="",
            help="Folder of the nodes (default: <RIIK_DATA_DIR>/cluster); kept between runs",
        )
        parser.add_argument(
            "--prefix", default="", help="Queue-name prefix (default: riik-<random>)"
        )
        parser.add_argument("--tick", type=float, default=0.2, help="Seconds per node tick")
        parser.add_argument(
            "--epoch-length",
            type=int,
            default=EPOCH_LENGTH,
            help="Blocks per epoch of a new genesis: membership changes apply from the next epoch",
        )
        parser.add_argument(
            "--node-database-url-template",
            default="",
            help=(
                "PostgreSQL URL of each node's own database, with {name} for the node's name "
                "(default: a SQLite file per node when DATABASE_URL is SQLite, else a database "
                "<hostdb>_node_<name> on the host's PostgreSQL server); created and migrated "
                "when missing"
            ),
        )
        parser.add_argument(
            "--seconds", type=float, default=0.0, help="Stop after this long (0: until Ctrl-C)"
        )
        parser.add_argument(
            "--prepare-only",
            action="store_true",
            help="Only write keys, genesis and node databases (for deploy/compose.yaml)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CELERY_BROKER_URL:
            raise CommandError("manage.py cluster needs CELERY_BROKER_URL (RabbitMQ or Redis)")
        if options["epoch_length"] < 1:
            raise CommandError("--epoch-length must be at least 1")
        if options["supernodes"] < 1 or options["witnesses"] < 1:
            raise CommandError("a cluster needs at least one supernode and one witness")
        base = Path(options["dir"] or settings.RIIK_DATA_DIR / "cluster")
        cluster = LocalCluster(
            base=base,
            prefix=options["prefix"] or f"riik-{uuid.uuid4().hex[:8]}",
            supernodes=options["supernodes"],
            witnesses=options["witnesses"],
            citizens=options["citizens"],
            citizen_threshold=options["citizen_threshold"],
            tick=options["tick"],
            epoch_length=options["epoch_length"],
            node_database_url_template=options["node_database_url_template"],
        )
        console = Console()
        try:
            template = cluster.database_template()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        where = "a SQLite file each" if template is None else f"PostgreSQL databases {template}"
        console.print(f"preparing the nodes in {base} ({where}) ...")
        cluster.prepare()
        if options["prepare_only"]:
            console.print(f"prepared {len(cluster.nodes) - 1} nodes and {cluster.genesis}")
            return
        cluster.start_all()
        console.print(
            f"started {len(cluster.nodes)} workers on queues {cluster.prefix}.*; Ctrl-C stops"
        )
        deadline = time.monotonic() + options["seconds"] if options["seconds"] else None
        try:
            with Live(status_table(cluster), console=console, refresh_per_second=2) as live:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.5)
                    live.update(status_table(cluster))
        except KeyboardInterrupt:
            pass
        finally:
            console.print("stopping ...")
            cluster.stop()
            console.print("stopped")


def status_table(cluster: LocalCluster) -> Table:
    """One row per node: tier, pid, queue, data, height, last final block, its level, last vote."""
    summaries = {
        row["name"]: row for row in node_summaries(n.database_url for n in cluster.node_list())
    }
    levels = dict(Block.objects.values_list("height", "level"))
    table = Table(title=f"cluster {cluster.prefix}")
    columns = ("node", "tier", "pid", "queue", "data", "height", "final", "level", "last vote")
    for column in columns:
        table.add_column(column)
    for node in cluster.nodes.values():
        pid = str(node.process.pid) if node.running and node.process else "down"
        if node.tier == HOST:
            top = max(levels, default=0)
            table.add_row(
                node.name,
                "registry",
                pid,
                node.queue,
                node.storage,
                str(top),
                "",
                levels.get(top, ""),
                "",
            )
            continue
        row = summaries.get(node.name, {})
        final = int(row.get("last_final", 0))
        table.add_row(
            node.name,
            node.tier,
            pid,
            node.queue,
            node.storage,
            str(row.get("height", "")),
            str(final),
            levels.get(final, ""),
            str(row.get("last_vote", "")),
        )
    return table
