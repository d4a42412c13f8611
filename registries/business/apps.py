from django.apps import AppConfig


class BusinessConfig(AppConfig):
    name = "registries.business"
    label = "business"
    verbose_name = "Business registry"
