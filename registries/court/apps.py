from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "registries.court"
    label = "court"
    verbose_name = "Court registry"

    def ready(self) -> None:
        """Answer the data tracker's questions about covert investigations."""
        # Imported here: apps.py loads before the models, which the reading module needs.
        from registries.court.reading import CourtInvestigations
        from registries.tracker.investigations import provide

        provide(CourtInvestigations())
