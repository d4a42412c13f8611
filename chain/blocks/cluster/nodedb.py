"""Where a cluster node keeps its data: its own SQLite file or its own PostgreSQL database.

Embedded (the host on SQLite) every node has a SQLite file in its folder;
scaled (the host on PostgreSQL) every node has a PostgreSQL database of its
own on the same server, named after the host's database and the node
(``<hostdb>_node_<name>``) unless a URL template says otherwise. The
launcher creates a migrated template database once and copies it for each
node (``CREATE DATABASE ... TEMPLATE``), as it copies a migrated SQLite file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

__all__ = [
    "create_database",
    "database_exists",
    "database_name",
    "default_template",
    "drop_database",
    "is_postgres",
    "node_summaries",
    "node_url",
    "read_rows",
    "storage_label",
]

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")
MAX_NAME = 63
"""PostgreSQL's longest identifier."""


def is_postgres(url: str) -> bool:
    """True when ``url`` names a PostgreSQL database."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names (or the file a SQLite URL names)."""
    if is_postgres(url):
        return unquote(urlsplit(url).path[1:])
    return url.removeprefix("sqlite:///")  # sqlite:////abs/path is /abs/path


def default_template(host_url: str) -> str:
    """Node URLs beside the host's PostgreSQL database: ``<hostdb>_node_{name}``."""
    parts = urlsplit(host_url)
    return parts._replace(path=f"/{database_name(host_url)}_node_{{name}}").geturl()


def node_url(template: str, name: str) -> str:
    """The URL of node ``name``'s database from a template with ``{name}``."""
    url = template.replace("{name}", name.replace("-", "_"))
    if is_postgres(url) and len(database_name(url)) > MAX_NAME:
        raise ValueError(f"database name {database_name(url)!r} is longer than {MAX_NAME}")
    return url


def storage_label(url: str) -> str:
    """Where a node keeps its data, for status tables: ``postgres <db>`` or ``sqlite <file>``."""
    if is_postgres(url):
        return f"postgres {database_name(url)}"
    return f"sqlite {database_name(url)}"


def _server(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to the server of ``url`` (its ``postgres`` database)."""
    return psycopg.connect(
        urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=5
    )


def database_exists(url: str) -> bool:
    """True when the PostgreSQL database of ``url`` exists."""
    with _server(url) as server:
        row = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database_name(url),)
        ).fetchone()
    return row is not None


def create_database(url: str, template: str | None = None) -> None:
    """Create the PostgreSQL database of ``url``, empty or as a copy of database ``template``."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url)))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _server(url) as server:
        server.execute(statement)


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database of ``url`` if it exists, closing its sessions."""
    with _server(url) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(url))
            )
        )


def read_rows(url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only ``query`` on a node's database ([] while it cannot be read)."""
    if is_postgres(url):
        try:
            with psycopg.connect(url, connect_timeout=2) as db:
                return list(db.execute(query.encode()).fetchall())
        except psycopg.Error:
            return []
    try:
        path = database_name(url)
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)) as db:
            return list(db.execute(query).fetchall())
    except sqlite3.Error:
        return []


def node_summaries(urls: Iterable[str]) -> list[dict[str, Any]]:
    """Status rows read from nodes' own databases (for ``manage.py cluster``)."""
    keys = ("name", "tier", "height", "last_final", "last_vote", "updated_at")
    rows = []
    for url in urls:
        found = read_rows(
            url,
            "SELECT name, tier, height, last_final, last_vote, updated_at FROM chain_nodestate",
        )
        if found:
            rows.append(dict(zip(keys, found[0], strict=True)))
    return rows
