from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "registries.health"
    label = "health"
    verbose_name = _("Health registry")

    def ready(self) -> None:
        """Name the subjects of the health registry's ledger entries on the chain API,
        and destroy a person's health key when the identity registry erases them."""
        # Imported here: apps.py loads before the models, which the reading module needs.
        from chain.api.hooks import register_subjects
        from registries.health.keystore import erase_person
        from registries.health.reading import entry_subjects
        from registries.identity.erasure import person_erasure

        register_subjects(self.label, entry_subjects)
        person_erasure.connect(erase_person, dispatch_uid="health")
