"""URL map: admin, the versioned REST API and its OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/identity/", include("registries.access.urls")),
    path("api/v1/identity/", include("registries.identity.api.urls")),
    path("api/v1/business/", include("registries.business.api.urls")),
    path("api/v1/property/", include("registries.property.api.urls")),
    path("api/v1/court/", include("registries.court.api.urls")),
    path("api/v1/chain/", include("chain.api.urls")),
    path("api/v1/health/", include("registries.health.api.urls")),
    path("api/v1/tracker/", include("registries.tracker.api.urls")),
    path("explorer/", include("chain.explorer.urls")),
    path("api/v1/me/", include("registries.access.me_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# Unknown URLs and failures outside the API's views answer problem+json too.
handler404 = "registries.common.api.schema.not_found"
handler500 = "registries.common.api.schema.server_error"
