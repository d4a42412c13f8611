"""Django app of the ledger: logs, blocks, their admin, API and commands."""

from django.apps import AppConfig


class ChainConfig(AppConfig):
    name = "chain"
    verbose_name = "Chain"
    default_auto_field = "django.db.models.BigAutoField"
