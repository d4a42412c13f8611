"""URL map: admin, the versioned REST API and its OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.frontdoor import start_page
from registries.access.admin_signin import admin_login

admin.site.site_header = _("Riik registers")
admin.site.site_title = _("Riik")
admin.site.index_title = _("Registers")

urlpatterns = [
    path("", start_page, name="start"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own: officials sign in with their e-ID (ADR 0059).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/identity/", include("registries.access.urls")),
    path("api/v1/identity/", include("registries.identity_desk.api.urls")),
    path("api/v1/business/", include("registries.business.api.urls")),
    path("api/v1/property/", include("registries.property.api.urls")),
    path("api/v1/court/", include("registries.court.api.urls")),
    path("api/v1/chain/", include("chain.api.urls")),
    path("api/v1/health/", include("registries.health.api.urls")),
    path("api/v1/tracker/", include("registries.tracker.api.urls")),
    path("api/v1/money/", include("registries.money.api.urls")),
    path("explorer/", include("chain.explorer.urls")),
    path("api/v1/me/", include("registries.access.me_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# Unknown URLs and failures outside the API's views answer problem+json too.
handler403 = "config.frontdoor.permission_denied"
handler404 = "registries.common.api.schema.not_found"
handler500 = "registries.common.api.schema.server_error"
