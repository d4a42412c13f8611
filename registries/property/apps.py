from django.apps import AppConfig


class PropertyConfig(AppConfig):
    name = "registries.property"
    label = "property"
    verbose_name = "Property registry"
