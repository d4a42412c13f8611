"""URLs of the court registry API, mounted at ``/api/v1/court/``."""

from django.urls import URLPattern, URLResolver, path

from registries.court.api import me, views
from registries.court.commands import COMMANDS

app_name = "court"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<str:number>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("hearings/", views.HearingCalendarView.as_view(), name="hearing-calendar"),
    # The judges' commands and a party's appeal; opening a case joins the register at cases/.
    *COMMANDS.urlpatterns(reads={"cases/": views.CaseListView}),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("court-cases/", me.MyCasesView.as_view(), name="me-court-cases")
]
