"""URLs of the business registry API, mounted at ``/api/v1/business/``."""

from django.urls import path

from registries.business.api import me, views
from registries.business.commands import COMMANDS

app_name = "business"
urlpatterns = [
    path(
        "e-services/companies/",
        me.RegisterCompanyOnline.as_view(),
        name="e-service-register-company",
    ),
    path(
        "e-services/companies/<str:code>/board/",
        me.ChangeMyBoard.as_view(),
        name="e-service-change-board",
    ),
    path("companies/<str:code>/", views.CompanyDetailView.as_view(), name="company-detail"),
    # The registrars' commands; registration joins the search at companies/.
    *COMMANDS.urlpatterns(reads={"companies/": views.CompanyListView}),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns = [
    path("companies/", me.MyCompaniesView.as_view(), name="me-companies"),
    path("organisation/", me.MyOrganisationView.as_view(), name="me-organisation"),
]
