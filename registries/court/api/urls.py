"""URLs of the court registry API, mounted at ``/api/v1/court/``."""

from django.urls import URLPattern, URLResolver, path

from registries.court.api import me, views

app_name = "court"
CASE = "cases/<str:number>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    path(CASE, views.CaseDetailView.as_view(), name="case-detail"),
    path(f"{CASE}parties/", views.PartyView.as_view(), name="case-parties"),
    path(f"{CASE}hearings/", views.HearingView.as_view(), name="case-hearings"),
    path(
        f"{CASE}hearings/<int:hearing>/rescheduling/",
        views.HearingRescheduleView.as_view(),
        name="hearing-rescheduling",
    ),
    path(
        f"{CASE}hearings/<int:hearing>/cancellation/",
        views.HearingCancelView.as_view(),
        name="hearing-cancellation",
    ),
    path(f"{CASE}judgments/", views.JudgmentView.as_view(), name="case-judgments"),
    path(
        f"{CASE}judgments/<int:judgment>/finality/",
        views.FinalityView.as_view(),
        name="judgment-finality",
    ),
    path(
        f"{CASE}judgments/<int:judgment>/appeals/",
        views.AppealView.as_view(),
        name="judgment-appeals",
    ),
    path(
        f"{CASE}appeals/<int:appeal>/decision/",
        views.AppealDecisionView.as_view(),
        name="appeal-decision",
    ),
    path(f"{CASE}closure/", views.ClosureView.as_view(), name="case-closure"),
    path("hearings/", views.HearingCalendarView.as_view(), name="hearing-calendar"),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("court-cases/", me.MyCasesView.as_view(), name="me-court-cases")
]
