"""URLs of the identity registry API, mounted at ``/api/v1/identity/``."""

from django.urls import URLPattern, URLResolver, path

from registries.identity_desk.api import me, views
from registries.identity_desk.commands import COMMANDS

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "organisations/<str:code>/",
        views.OrganisationDetailView.as_view(),
        name="organisation-detail",
    ),
    path(
        "organisations/<str:code>/representatives/<str:personal_code>/",
        views.RepresentativeDetailView.as_view(),
        name="organisation-representative",
    ),
    path("persons/me/", views.MyPersonView.as_view(), name="person-me"),
    path("persons/<str:code>/", views.PersonDetailView.as_view(), name="person-detail"),
    # The commands; registrations and the appointment of a representative join
    # the read views at the same paths.
    *COMMANDS.urlpatterns(
        reads={
            "organisations/": views.OrganisationListView,
            "organisations/<str:code>/representatives/": views.RepresentativeListView,
        }
    ),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("person/", me.MyPersonView.as_view(), name="me-person")
]
