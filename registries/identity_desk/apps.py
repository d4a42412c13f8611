from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityDeskConfig(AppConfig):
    name = "registries.identity_desk"
    label = "identity_desk"
    verbose_name = _("Identity registry (API and admin)")
