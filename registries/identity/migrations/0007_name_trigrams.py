"""pg_trgm indexes for searching persons' and organisations' names on PostgreSQL
(nothing on SQLite)."""

from django.db import migrations

from registries.common.search import trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0006_person_keys"),
    ]

    operations = [
        trigram_index("identity_personrecord", "first_name"),
        trigram_index("identity_personrecord", "last_name"),
        trigram_index("identity_organisationrecord", "name"),
    ]
