from django.apps import AppConfig


class CountryConfig(AppConfig):
    name = "registries.country"
    label = "country"
    verbose_name = "Country (demo data)"
