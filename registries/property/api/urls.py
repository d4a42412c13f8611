"""URLs of the land register API, mounted at ``/api/v1/property/``."""

from django.urls import URLPattern, URLResolver, path

from registries.property.api import me, views

app_name = "property"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "e-services/land-units/<str:code>/transfer/",
        me.ApplyForTransfer.as_view(),
        name="e-service-transfer",
    ),
    path("land-units/", views.LandUnitListView.as_view(), name="land-unit-list"),
    path("land-units/<str:code>/", views.LandUnitDetailView.as_view(), name="land-unit-detail"),
    path(
        "land-units/<str:code>/description/",
        views.DescriptionView.as_view(),
        name="land-unit-description",
    ),
    path(
        "land-units/<str:code>/restrictions/",
        views.RestrictionView.as_view(),
        name="land-unit-restrictions",
    ),
    path(
        "land-units/<str:code>/restrictions/<int:number>/removal/",
        views.RestrictionRemovalView.as_view(),
        name="land-unit-restriction-removal",
    ),
    path(
        "land-units/<str:code>/mortgages/",
        views.MortgageView.as_view(),
        name="land-unit-mortgages",
    ),
    path(
        "land-units/<str:code>/mortgages/<int:rank>/release/",
        views.MortgageReleaseView.as_view(),
        name="land-unit-mortgage-release",
    ),
    path(
        "land-units/<str:code>/transfers/",
        views.TransferView.as_view(),
        name="land-unit-transfers",
    ),
    path(
        "land-units/<str:code>/transfer-message/",
        views.TransferMessageView.as_view(),
        name="land-unit-transfer-message",
    ),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("properties/", me.MyPropertiesView.as_view(), name="me-properties")
]
