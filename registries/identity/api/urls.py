"""URLs of the identity registry API, mounted at ``/api/v1/identity/``."""

from django.urls import URLPattern, URLResolver, path

from registries.identity.api import me, views

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path(
        "organisations/<str:code>/",
        views.OrganisationDetailView.as_view(),
        name="organisation-detail",
    ),
    path(
        "organisations/<str:code>/representatives/",
        views.RepresentativeListView.as_view(),
        name="organisation-representatives",
    ),
    path(
        "organisations/<str:code>/representatives/<str:personal_code>/",
        views.RepresentativeDetailView.as_view(),
        name="organisation-representative",
    ),
    path(
        "organisations/<str:code>/representatives/<str:personal_code>/removal/",
        views.RepresentativeRemovalView.as_view(),
        name="organisation-representative-removal",
    ),
    path("persons/", views.PersonListView.as_view(), name="person-list"),
    path("persons/me/", views.MyPersonView.as_view(), name="person-me"),
    path("persons/<str:code>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("persons/<str:code>/name/", views.NameChangeView.as_view(), name="person-name"),
    path("persons/<str:code>/death/", views.DeathView.as_view(), name="person-death"),
    path("persons/<str:code>/keys/", views.KeyRegistrationView.as_view(), name="person-keys"),
    path(
        "persons/<str:code>/keys/rotation/",
        views.KeyRotationView.as_view(),
        name="person-key-rotation",
    ),
    path(
        "persons/<str:code>/keys/<str:key_id>/revocation/",
        views.KeyRevocationView.as_view(),
        name="person-key-revocation",
    ),
    path("officials/", views.AppointmentView.as_view(), name="official-list"),
    path("officials/dismissal/", views.DismissalView.as_view(), name="official-dismissal"),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("person/", me.MyPersonView.as_view(), name="me-person")
]
