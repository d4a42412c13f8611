"""Starting a cluster's nodes as separate processes on one host.

:class:`LocalCluster` gives every node a folder of its own under ``base``
(its key and log) and a database of its own (a SQLite file in that folder,
or, when the host runs on PostgreSQL, a PostgreSQL database per node:
:mod:`chain.blocks.cluster.nodedb`), writes the genesis file, and runs
each node as a Celery worker process on its own queue (its clock is
:mod:`chain.blocks.cluster.clock`, inside the worker). The registry host is a worker too, on the
database this process uses. ``manage.py cluster`` and the cluster test use
it; ``deploy/`` runs the same workers under systemd or compose instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from celery import current_app
from django.conf import settings
from kombu import Exchange, Queue

from chain.blocks.cluster import nodedb
from chain.blocks.cluster.genesis import EPOCH_LENGTH, host_key_path, write_genesis
from chain.blocks.cluster.transport import HOST
from chain.blocks.nodekeys import node_key
from chain.consensus.crypto import Signer
from chain.keys import load_or_create_node_key

__all__ = ["LocalCluster", "NodeProcess"]

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class NodeProcess:
    """One node: where it lives and, while running, its worker process."""

    name: str
    tier: str
    folder: Path
    queue: str
    database_url: str = ""
    """The node's own database (none for the host, which uses the application's)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def storage(self) -> str:
        """Where the node keeps its data, for status tables."""
        return nodedb.storage_label(self.database_url) if self.database_url else "host database"

    @property
    def running(self) -> bool:
        """True while its worker process is alive."""
        return self.process is not None and self.process.poll() is None


@dataclass
class LocalCluster:
    """Supernodes, witnesses and citizens as worker processes, plus the registry host."""

    base: Path
    prefix: str
    supernodes: int = 4
    witnesses: int = 4
    citizens: int = 3
    citizen_threshold: int = 2
    tick: float = 0.2
    epoch_length: int = EPOCH_LENGTH
    """Blocks per epoch: membership changes apply from the next epoch's first block."""
    host_env: dict[str, str] = field(default_factory=dict)
    node_database_url_template: str = ""
    """PostgreSQL URL of each node's database with ``{name}`` (default: beside the host's)."""
    node_env: dict[str, dict[str, str]] = field(default_factory=dict)
    """Variables set for one node's worker only, by node name: a test points a
    node's ``CELERY_BROKER_URL`` at a proxy it can cut from the broker."""
    nodes: dict[str, NodeProcess] = field(default_factory=dict)
    profile_dir: Path | None = None
    """When set, each worker runs under cProfile and writes ``<name>.prof`` there
    when it stops (a warm shutdown: :meth:`stop`), for the finality bench."""

    @property
    def genesis(self) -> Path:
        """The genesis file every node loads."""
        return self.base / "genesis.json"

    @property
    def host_key_file(self) -> Path:
        """The registry host's public key (hex), beside the genesis file."""
        return host_key_path(self.genesis)

    @property
    def host_database_url(self) -> str:
        """The registry host's database: ``host_env``'s, else this process's ``DATABASE_URL``."""
        return self.host_env.get("DATABASE_URL") or os.environ.get("DATABASE_URL", "")

    def database_template(self) -> str | None:
        """PostgreSQL URL template of the nodes' databases; None for a SQLite file per node."""
        template = self.node_database_url_template
        if template:
            if not nodedb.is_postgres(template) or "{name}" not in template:
                raise ValueError(
                    "the node database URL template must be a PostgreSQL URL with {name}"
                )
            return template
        if nodedb.is_postgres(self.host_database_url):
            return nodedb.default_template(self.host_database_url)
        return None

    def _database_url(self, folder: Path, name: str) -> str:
        template = self.database_template()
        if template is None:
            return f"sqlite:///{folder / 'node.sqlite3'}"
        return nodedb.node_url(template, name)

    def prepare(self) -> None:
        """Keys, genesis and a migrated database for every node (kept when present).

        A new genesis (a new folder) means new nodes: PostgreSQL databases
        left by an earlier cluster under the same names are dropped first.
        """
        self.base.mkdir(parents=True, exist_ok=True)
        fresh = not self.genesis.exists()
        signers: dict[str, list[Signer]] = {}
        for tier, count in (
            ("supernode", self.supernodes),
            ("witness", self.witnesses),
            ("citizen", self.citizens),
        ):
            signers[tier] = []
            for i in range(1, count + 1):
                name = f"{tier}-{i}"
                folder = self.base / name
                key = load_or_create_node_key(folder / "keys", name)
                signers[tier].append(Signer.from_node_key(key))
                self.nodes[name] = NodeProcess(
                    name,
                    tier,
                    folder,
                    f"{self.prefix}.{name}",
                    database_url=self._database_url(folder, name),
                )
        self.nodes[HOST] = NodeProcess(HOST, HOST, self.base / HOST, f"{self.prefix}.{HOST}")
        self.nodes[HOST].folder.mkdir(exist_ok=True)
        if not self.genesis.exists():
            write_genesis(
                self.genesis,
                settings.RIIK_CHAIN_ID,
                supernodes=signers["supernode"],
                witnesses=signers["witness"],
                citizens=signers["citizen"],
                citizen_threshold=min(self.citizen_threshold, self.citizens) or 1,
                epoch_length=self.epoch_length,
            )
        # The nodes answer only the act proposals this host's key signed
        # (chain.blocks.cluster.acts); the process that prepares the cluster
        # runs with the registry host's key folder.
        self.host_key_file.write_text(node_key().public_bytes.hex() + "\n")
        self.declare_queues()
        template = self.database_template()
        if template is None:
            self._prepare_sqlite()
        else:
            self._prepare_postgres(nodedb.node_url(template, "template"), fresh)

    def _prepare_sqlite(self) -> None:
        template = self.base / "template.sqlite3"
        if not template.exists():
            self._migrate(f"sqlite:///{template}")
        for node in self.node_list():
            path = Path(nodedb.database_name(node.database_url))
            if not path.exists():
                shutil.copyfile(template, path)

    def _prepare_postgres(self, template: str, fresh: bool) -> None:
        if fresh:
            self.drop_databases()
        if not nodedb.database_exists(template):
            nodedb.create_database(template)
            self._migrate(template)
        for node in self.node_list():
            if not nodedb.database_exists(node.database_url):
                nodedb.create_database(node.database_url, nodedb.database_name(template))

    def drop_databases(self) -> None:
        """Drop the nodes' PostgreSQL databases and their template (SQLite files stay)."""
        template = self.database_template()
        if template is None:
            return
        for node in self.node_list():
            nodedb.drop_database(node.database_url)
        nodedb.drop_database(nodedb.node_url(template, "template"))

    def node_list(self) -> list[NodeProcess]:
        """The consensus nodes, without the registry host."""
        return [node for node in self.nodes.values() if node.tier != HOST]

    def declare_queues(self) -> None:
        """Declare every node's queue now, so no message sent before a node starts is lost."""
        with current_app.connection_for_write() as connection:
            channel = connection.default_channel
            for node in self.nodes.values():
                exchange = Exchange(node.queue, type="direct")
                Queue(node.queue, exchange, routing_key=node.queue)(channel).declare()

    def _migrate(self, url: str) -> None:
        """Migrate an empty node database (once, the template copied for each node)."""
        env = {
            **_node_only(os.environ),
            "DATABASE_URL": url,
            "RIIK_DATA_DIR": str(self.base),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )

    def env(self, node: NodeProcess) -> dict[str, str]:
        """The environment of a node's worker."""
        common = {
            **os.environ,
            "RIIK_CLUSTER_PREFIX": self.prefix,
            "RIIK_GENESIS_FILE": str(self.genesis),
            "RIIK_CLUSTER_TICK": str(self.tick),
            "RIIK_CLUSTER_ROLE": node.tier,
            "RIIK_TASK_QUEUE": node.queue,
            "RIIK_CONSENSUS": "cluster",
            "RIIK_LOG_LEVEL": "WARNING",
        }
        own = self.node_env.get(node.name, {})
        if node.tier == HOST:
            # The host worker signs with the key host.pub names: the key folder
            # of the process that prepared the cluster (which may be a setting
            # of that process alone, not in its environment).
            keys = {"RIIK_KEYS_DIR": str(settings.RIIK_KEYS_DIR)}
            return {**common, **keys, **self.host_env, **own}
        return {
            **_node_only(common),
            "RIIK_NODE_NAME": node.name,
            "RIIK_DATA_DIR": str(node.folder),
            "RIIK_KEYS_DIR": str(node.folder / "keys"),
            "DATABASE_URL": node.database_url,
            **own,
        }

    def start(self, name: str) -> NodeProcess:
        """Start (or restart) one node's worker ."""
        node = self.nodes[name]
        if node.running:
            return node
        logfile = (node.folder / "worker.log").open("ab")
        profile: list[str] = []
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "cProfile", "-o", str(self.profile_dir / f"{name}.prof")]
        node.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                *profile,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                # Unacknowledged messages are delivered again after a crash
                # anyway (acks_late), so a node may hold a few at once
                # instead of waiting for the broker after every ack.
                "--prefetch-multiplier=8",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--loglevel={os.environ.get('RIIK_CLUSTER_LOG_LEVEL', 'WARNING')}",
                "--hostname",
                f"{name}@{self.prefix}",
                "-Q",
                node.queue,
            ],
            cwd=ROOT,
            env=self.env(node),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logfile.close()
        return node

    def start_all(self) -> None:
        """Start every node and the host."""
        for name in self.nodes:
            self.start(name)

    def kill(self, name: str) -> None:
        """``kill -9`` a node's worker (a crash: nothing is flushed or acknowledged)."""
        node = self.nodes[name]
        if node.process is not None and node.running:
            os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker: a warm shutdown, then ``kill -9`` whatever is left."""
        for node in self.nodes.values():
            if node.process is not None and node.running:
                os.killpg(node.process.pid, signal.SIGTERM)
        for node in self.nodes.values():
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(node.process.pid, signal.SIGKILL)
                node.process.wait(timeout=10)


def _node_only(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the host's registry databases (``DATABASE_URL_<REGISTRY>``,
    ADR 0069): a node keeps everything in its own database and writes no registry."""
    return {name: value for name, value in environ.items() if not name.startswith("DATABASE_URL_")}
