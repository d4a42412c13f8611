from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_event_tables(plan: Any = None, using: str = "default", **kwargs: Any) -> None:
    # ``flush`` (between transactional tests) also sends post_migrate, without
    # a plan: it empties tables and never drops them, so there is nothing to do.
    if plan is None:
        return
    # Imported here: application modules need the app registry to be ready.
    from registries.common.application import create_event_tables
    from registries.common.projections import all_applications

    create_event_tables(all_applications(), using)


class CommonConfig(AppConfig):
    name = "registries.common"
    label = "common"
    verbose_name = _("Registries (shared)")

    def ready(self) -> None:
        """Create the event store's tables whenever ``migrate`` runs."""
        post_migrate.connect(_create_event_tables, sender=self)
