from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from registries.common.texts import N_


class PropertyConfig(AppConfig):
    name = "registries.property"
    label = "property"
    verbose_name = _("Property registry")

    def ready(self) -> None:
        """Let the explorer find a land unit's ledger entries by its cadastral code."""
        # Imported here: apps.py loads before the models the lookup reads.
        from chain.api.hooks import register_public_records
        from registries.property.api.views import land_unit_aggregate

        register_public_records("property", N_("cadastral code"), land_unit_aggregate)
