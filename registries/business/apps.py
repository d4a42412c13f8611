from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from registries.common.texts import N_


class BusinessConfig(AppConfig):
    name = "registries.business"
    label = "business"
    verbose_name = _("Business registry")

    def ready(self) -> None:
        """Let the members of a company's management board act for it, count its
        companies as organisations that commands of every registry may name, and let
        the explorer find a company's ledger entries by its registry code."""
        # Imported here: apps.py loads before the models, which the board check reads.
        from chain.api.hooks import register_public_records
        from registries.access.representation import register
        from registries.business.api.views import company_aggregate
        from registries.business.application import company_registered
        from registries.business.representation import on_current_board
        from registries.identity.services import register_organisations

        register(on_current_board)
        register_organisations(company_registered)
        register_public_records("business", N_("registry code"), company_aggregate)
