from django.apps import AppConfig


class MoneyConfig(AppConfig):
    name = "registries.money"
    label = "money"
    verbose_name = "Money registry"

    def ready(self) -> None:
        """Name the subject of each money ledger entry, for the /me receipts; open the till."""
        # Imported here: the subjects are read from read models, which exist only
        # once the apps are ready (the tracker's hooks do the same).
        from registries.common.payments import connect_till
        from registries.money.application import MoneyTill
        from registries.money.subjects import connect

        connect()
        # Registering a company, a title transfer, an annual report pay their
        # state fees (and a transfer its price) through the money registry.
        connect_till(MoneyTill())
