from django.apps import AppConfig


class IdentityDeskConfig(AppConfig):
    name = "registries.identity_desk"
    label = "identity_desk"
    verbose_name = "Identity registry (API and admin)"
