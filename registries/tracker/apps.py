from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "registries.tracker"
    label = "tracker"
    verbose_name = _("Data tracker")

    def ready(self) -> None:
        """Plug the registries' payload rules and the read tracking into the chain API."""
        # Imported here: the hooks read models, which exist only once the apps are ready.
        from registries.tracker.hooks import connect

        connect()
