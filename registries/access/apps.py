from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "registries.access"
    label = "access"
    verbose_name = "Access (tokens, roles, sign-in)"
