from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "registries.court"
    label = "court"
    verbose_name = "Court registry"
