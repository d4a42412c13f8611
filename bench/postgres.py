"""The scratch PostgreSQL database ``riik_bench`` (created and dropped per run)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "riik_bench"


def server_url() -> str:
    return os.environ.get("RIIK_BENCH_POSTGRES_URL") or DEFAULT_URL


def database_url(server: str, name: str = SCRATCH_DB) -> str:
    """``server`` (any database on the server) with the database name replaced."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


class ScratchDatabase:
    """Creates ``riik_bench`` on the server (dropping a leftover one) and drops it after."""

    def __init__(self, server: str, name: str = SCRATCH_DB) -> None:
        self.server = server
        self.name = name
        self.version = ""

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server, autocommit=True, connect_timeout=5)

    def create(self) -> str:
        """Create the database; return its URL. Raises ``psycopg.Error`` if unreachable."""
        with self._connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            self.version = str(row[0]) if row else "unknown"
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return database_url(self.server, self.name)

    def drop(self) -> None:
        with self._connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_version(url: str) -> str:
    """The PostgreSQL version of the server at ``url``."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"
