from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "registries.identity"
    label = "identity"
    verbose_name = "Identity registry"
