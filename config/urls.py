"""URL map: admin, the versioned REST API and its OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from registries.health.api.urls import me_urlpatterns as health_me
from registries.tracker.api.urls import me_urlpatterns as tracker_me

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/identity/", include("registries.identity.api.urls")),
    path("api/v1/business/", include("registries.business.api.urls")),
    path("api/v1/property/", include("registries.property.api.urls")),
    path("api/v1/court/", include("registries.court.api.urls")),
    path("api/v1/chain/", include("chain.api.urls")),
    path("api/v1/health/", include("registries.health.api.urls")),
    path("api/v1/tracker/", include("registries.tracker.api.urls")),
    # issue 6 stand-in until issue 7 mounts every registry's me_urlpatterns: replace this line.
    path("api/v1/me/", include((health_me + tracker_me, "me"))),
    path("explorer/", include("chain.explorer.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
