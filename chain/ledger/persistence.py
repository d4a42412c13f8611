"""How a registry's eventsourcing application finds its event store.

A registry's event store always lives in the database of its read models and
log (the default one, or its own: :mod:`chain.ledger.databases`), so the
environment is derived from that database's Django connection settings when
an application is constructed. Under the test runner that is its test
database.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import connections

SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRES_ENGINE = "django.db.backends.postgresql"


def event_store_env(database: str = "default", *, create_tables: bool = False) -> dict[str, str]:
    """eventsourcing environment for the ledger-keeping persistence of ``database``.

    Tables are created by ``migrate`` (``create_tables=True``), never by the
    serving processes: several processes issuing the same DDL at once fail on
    PostgreSQL ("tuple concurrently updated").
    """
    settings = connections[database].settings_dict
    engine = settings["ENGINE"]
    create_table = "y" if create_tables else "n"
    if engine == SQLITE_ENGINE:
        return {
            "PERSISTENCE_MODULE": "chain.ledger.sqlite:LedgerSQLiteFactory",
            "SQLITE_DBNAME": str(settings["NAME"]),
            "SQLITE_LOCK_TIMEOUT": "30",
            "CREATE_TABLE": create_table,
        }
    if engine == POSTGRES_ENGINE:
        return {
            "PERSISTENCE_MODULE": "chain.ledger.postgres:LedgerPostgresFactory",
            "POSTGRES_DBNAME": str(settings["NAME"]),
            "POSTGRES_HOST": str(settings.get("HOST") or "127.0.0.1"),
            "POSTGRES_PORT": str(settings.get("PORT") or "5432"),
            "POSTGRES_USER": str(settings.get("USER") or "postgres"),
            "POSTGRES_PASSWORD": str(settings.get("PASSWORD") or ""),
            # One pool per database and process, shared by the registries in
            # that database (chain.ledger.postgres).
            "POSTGRES_POOL_SIZE": str(django_settings.RIIK_DB_POOL_SIZE),
            "POSTGRES_MAX_OVERFLOW": str(django_settings.RIIK_DB_POOL_OVERFLOW),
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": create_table,
        }
    msg = f"the event store supports SQLite and PostgreSQL, not {engine}"
    raise ValueError(msg)
