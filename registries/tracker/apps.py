from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "registries.tracker"
    label = "tracker"
    verbose_name = "Data tracker"

    def ready(self) -> None:
        """Plug the registries' payload rules and the read tracking into the chain API."""
        # Imported here: the hooks read models, which exist only once the apps are ready.
        from registries.tracker.hooks import connect

        connect()
