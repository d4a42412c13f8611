"""URLs of the land register API, mounted at ``/api/v1/property/``."""

from django.urls import URLPattern, URLResolver, path

from registries.property.api import me, views
from registries.property.commands import COMMANDS

app_name = "property"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "e-services/land-units/<str:code>/transfer/",
        me.ApplyForTransfer.as_view(),
        name="e-service-transfer",
    ),
    path(
        "e-services/land-units/<str:code>/purchase/",
        me.Purchase.as_view(),
        name="e-service-purchase",
    ),
    path("land-units/<str:code>/", views.LandUnitDetailView.as_view(), name="land-unit-detail"),
    path(
        "land-units/<str:code>/transfer-message/",
        views.TransferMessageView.as_view(),
        name="land-unit-transfer-message",
    ),
    # The registrars' commands; registration joins the search at land-units/.
    *COMMANDS.urlpatterns(reads={"land-units/": views.LandUnitListView}),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("properties/", me.MyPropertiesView.as_view(), name="me-properties")
]
