"""The idempotency store forgets bodies and who in clear (issue 14, docs/privacy.md).

The old rows hold answers in clear and are at most a day's worth of retries:
they are dropped, not converted.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0004_idempotent_response_headers"),
    ]

    operations = [
        migrations.DeleteModel(name="IdempotentRequest"),
        migrations.CreateModel(
            name="IdempotentRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "caller",
                    models.CharField(
                        help_text="Keyed hash (HMAC-SHA256) of the caller's username",
                        max_length=64,
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                (
                    "request_hash",
                    models.CharField(
                        help_text="SHA-256 of the method, path and body of the first request",
                        max_length=64,
                    ),
                ),
                ("status", models.IntegerField(null=True)),
                (
                    "headers",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="Headers of the result replayed with it (Location, ...)",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("caller", "key"), name="idempotent_request_unique"
                    )
                ],
            },
        ),
    ]
