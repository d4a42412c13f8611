"""The key store's audit rows keep who and why sealed (issue 14): in clear, a
patient's own reads tied their personal code to their key id."""

from typing import Any

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def seal_existing(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Seal the who and why of the rows written before, with the audit key."""
    from registries.health.keystore import seal_audit_line

    access = apps.get_model("health", "KeyAccess")
    for row in access.objects.all().iterator():
        row.sealed = seal_audit_line(row.key_id, row.action, row.actor, row.purpose)
        row.save(update_fields=["sealed"])


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="keyaccess",
            name="sealed",
            field=models.JSONField(
                null=True, help_text="Who and why, sealed with the key store's audit key"
            ),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="keyaccess", name="actor"),
        migrations.RemoveField(model_name="keyaccess", name="purpose"),
        migrations.AlterField(
            model_name="keyaccess",
            name="sealed",
            field=models.JSONField(help_text="Who and why, sealed with the key store's audit key"),
        ),
        migrations.AlterModelOptions(
            name="keyaccess",
            options={"default_permissions": (), "ordering": ["-at", "-id"]},
        ),
    ]
