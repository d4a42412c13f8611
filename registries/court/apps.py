from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "registries.court"
    label = "court"
    verbose_name = "Court registry"

    def ready(self) -> None:
        """Answer the data tracker's questions about covert investigations, and name
        the subjects of the court's ledger entries on the chain API."""
        # Imported here: apps.py loads before the models, which the reading module needs.
        from chain.api.hooks import register_subjects
        from registries.court.reading import CourtInvestigations, entry_subjects
        from registries.tracker.investigations import provide

        provide(CourtInvestigations())
        register_subjects(self.label, entry_subjects)
