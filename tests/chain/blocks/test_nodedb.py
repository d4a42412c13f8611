"""Where each cluster node keeps its data: a SQLite file, or a PostgreSQL database of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from chain.blocks.cluster import nodedb
from chain.blocks.cluster.launcher import LocalCluster
from tests.factories import database_url


def test_nodes_of_a_postgresql_host_get_databases_named_after_the_host_database() -> None:
    template = nodedb.default_template("postgres://riik@db:5432/riik?sslmode=require")
    url = nodedb.node_url(template, "supernode-2")
    assert url == "postgres://riik@db:5432/riik_node_supernode_2?sslmode=require"
    assert nodedb.storage_label(url) == "postgres riik_node_supernode_2"


def test_a_node_database_name_longer_than_postgresql_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 63"):
        nodedb.node_url("postgres://h/" + "x" * 60 + "_{name}", "witness-1")


def test_a_sqlite_host_keeps_a_sqlite_file_per_node(tmp_path: Path) -> None:
    local = LocalCluster(tmp_path, "p", host_env={"DATABASE_URL": "sqlite:////tmp/host.db"})
    assert local.database_template() is None
    url = local._database_url(tmp_path / "witness-1", "witness-1")
    assert nodedb.storage_label(url) == f"sqlite {tmp_path}/witness-1/node.sqlite3"


def test_a_postgresql_host_gives_its_nodes_postgresql_databases(tmp_path: Path) -> None:
    local = LocalCluster(tmp_path, "p", host_env={"DATABASE_URL": "postgres://u@h:5432/reg"})
    assert local.database_template() == "postgres://u@h:5432/reg_node_{name}"
    overridden = LocalCluster(tmp_path, "p", node_database_url_template="postgres://u@o/n_{name}")
    assert overridden.database_template() == "postgres://u@o/n_{name}"


@pytest.mark.parametrize("template", ["sqlite:///nodes/{name}.db", "postgres://u@h/fixed"])
def test_a_node_database_template_that_is_not_postgresql_with_a_name_is_refused(
    tmp_path: Path, template: str
) -> None:
    with pytest.raises(ValueError, match="PostgreSQL URL with"):
        LocalCluster(tmp_path, "p", node_database_url_template=template).database_template()


def test_node_rows_are_read_from_a_sqlite_file_and_an_unreadable_one_gives_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "node.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a)")
        db.execute("INSERT INTO t VALUES (7)")
    assert nodedb.read_rows(f"sqlite:///{path}", "SELECT a FROM t") == [(7,)]
    assert nodedb.read_rows(f"sqlite:///{tmp_path / 'missing.sqlite3'}", "SELECT 1") == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_postgresql_node_database_is_created_from_a_template_and_dropped() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    template = nodedb.default_template(database_url())
    source, copy = nodedb.node_url(template, "t_src"), nodedb.node_url(template, "t_copy")
    try:
        nodedb.create_database(source)
        nodedb.create_database(copy, nodedb.database_name(source))
        assert nodedb.database_exists(copy)
        assert nodedb.read_rows(copy, "SELECT 1") == [(1,)]
    finally:
        nodedb.drop_database(copy)
        nodedb.drop_database(source)
    assert not nodedb.database_exists(copy)
