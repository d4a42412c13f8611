from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from registries.common.texts import N_


class CourtConfig(AppConfig):
    name = "registries.court"
    label = "court"
    verbose_name = _("Court registry")

    def ready(self) -> None:
        """Answer the data tracker's questions about covert investigations, name the
        subjects of the court's ledger entries on the chain API, and let the explorer
        find a case's ledger entries by its number, and erase a person when the
        identity registry erases them."""
        # Imported here: apps.py loads before the models, which the reading module needs.
        from chain.api.hooks import register_public_records, register_subjects
        from registries.court.api.views import case_aggregate
        from registries.court.application import erase_person
        from registries.court.reading import CourtInvestigations, entry_subjects
        from registries.identity.erasure import person_erasure
        from registries.tracker.investigations import provide

        provide(CourtInvestigations())
        register_subjects(self.label, entry_subjects)
        register_public_records("court", N_("case number"), case_aggregate)
        person_erasure.connect(erase_person, dispatch_uid="court")
