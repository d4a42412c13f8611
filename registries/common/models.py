"""Shared read-model tables: projection positions and the ledger link of records."""

from __future__ import annotations

from django.db import models


class ProjectionPosition(models.Model):
    """How far a projection has followed an application's notification log."""

    projection = models.CharField(max_length=100)
    application = models.CharField(max_length=100)
    notification_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["projection", "application"], name="projection_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.projection} <- {self.application} @ {self.notification_id}"


class LedgerLinked(models.Model):
    """A read-model record that knows the ledger entry of its latest event."""

    ledger_registry: str = ""
    ledger_seq = models.BigIntegerField(
        null=True, blank=True, help_text="Ledger seq of the event that last changed this record"
    )

    class Meta:
        abstract = True
