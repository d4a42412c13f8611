from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "registries.health"
    label = "health"
    verbose_name = "Health registry"
