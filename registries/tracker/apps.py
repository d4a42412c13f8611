from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "registries.tracker"
    label = "tracker"
    verbose_name = "Data tracker"
