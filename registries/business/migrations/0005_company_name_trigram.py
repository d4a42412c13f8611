"""A pg_trgm index for searching company names on PostgreSQL (nothing on SQLite)."""

from django.db import migrations

from registries.common.search import trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("business", "0004_registrar_is_an_identity_role"),
    ]

    operations = [trigram_index("business_companyrecord", "name")]
