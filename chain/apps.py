"""Django app of the ledger: logs, blocks, their admin, API and commands."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    name = "chain"
    verbose_name = _("Chain")
    default_auto_field = "django.db.models.BigAutoField"
