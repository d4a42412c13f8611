"""URLs of the data tracker: officials' at ``/api/v1/tracker/``, the person's own
list in ``me_urlpatterns`` (mounted under ``/api/v1/me/``)."""

from django.urls import URLPattern, URLResolver, path

from registries.tracker.api import views
from registries.tracker.commands import COMMANDS

app_name = "tracker"
urlpatterns: list[URLPattern | URLResolver] = [
    path("covert-reads/", views.CovertReadListView.as_view(), name="covert-read-list"),
    *COMMANDS.urlpatterns(reads={}),
]
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("data-tracker/", views.MyDataReadsView.as_view(), name="me-data-tracker"),
]
