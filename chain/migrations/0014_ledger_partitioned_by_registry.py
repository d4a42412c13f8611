"""PostgreSQL: the ledger's large tables partitioned by registry (ADR 0069).

One partition per registry log this database holds, converted in place on an
existing database (:mod:`chain.ledger.partitions`); a no-op on SQLite.
"""

from typing import Any

from django.conf import settings
from django.db import migrations

from chain.ledger.databases import by_database
from chain.ledger.partitions import partition_ledger


def partition(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    registries = by_database(settings.RIIK_REGISTRIES).get(connection.alias, [])
    with connection.cursor() as cursor:
        partition_ledger(cursor, registries)


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0013_block_final_at"),
    ]

    # Backwards leaves the partitioned tables: they answer every query as the
    # plain ones did.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
