from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "registries.common"
    label = "common"
    verbose_name = "Registries (shared)"
