from django.apps import AppConfig


class BusinessConfig(AppConfig):
    name = "registries.business"
    label = "business"
    verbose_name = "Business registry"

    def ready(self) -> None:
        """Let the members of a company's management board act for it, and count its
        companies as organisations that commands of every registry may name."""
        # Imported here: apps.py loads before the models, which the board check reads.
        from registries.access.representation import register
        from registries.business.application import company_registered
        from registries.business.representation import on_current_board
        from registries.identity.services import register_organisations

        register(on_current_board)
        register_organisations(company_registered)
