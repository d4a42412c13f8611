from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MoneyConfig(AppConfig):
    name = "registries.money"
    label = "money"
    verbose_name = _("Money registry")

    def ready(self) -> None:
        """Name the subject of each money ledger entry, for the /me receipts; key the
        persons' wallet ids with the key store's pseudonym of their code; open the till."""
        # Imported here: the subjects are read from read models, which exist only
        # once the apps are ready (the tracker's hooks do the same).
        from registries.common.payments import connect_till
        from registries.health.keystore import subject_of
        from registries.money.domain import use_pseudonyms
        from registries.money.subjects import connect
        from registries.money.till import MoneyTill

        use_pseudonyms(subject_of)
        connect()
        # Registering a company, a title transfer, an annual report pay their
        # state fees (and a transfer its price) through the money registry.
        connect_till(MoneyTill())
