from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "registries.tracker"
    label = "tracker"
    verbose_name = _("Data tracker")

    def ready(self) -> None:
        """Plug the registries' payload rules and the read tracking into the chain API, and
        scrub a person from the read models when the identity registry erases them."""
        # Imported here: the hooks read models, which exist only once the apps are ready.
        from registries.identity.erasure import person_erasure
        from registries.tracker.erasure import erase_person
        from registries.tracker.hooks import connect

        connect()
        person_erasure.connect(erase_person, dispatch_uid="tracker")
