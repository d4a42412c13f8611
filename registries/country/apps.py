from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountryConfig(AppConfig):
    name = "registries.country"
    label = "country"
    verbose_name = _("Country (demo data)")
