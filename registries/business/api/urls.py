"""URLs of the business registry API, mounted at ``/api/v1/business/``."""

from django.urls import path

from registries.business.api import me, views

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
    path("companies/", views.CompanyListView.as_view(), name="company-list"),
    path("companies/<str:code>/", views.CompanyDetailView.as_view(), name="company-detail"),
    path("companies/<str:code>/board/", views.BoardChangeView.as_view(), name="company-board"),
    path(
        "companies/<str:code>/address/",
        views.AddressChangeView.as_view(),
        name="company-address",
    ),
    path(
        "companies/<str:code>/capital-increases/",
        views.CapitalIncreaseView.as_view(),
        name="company-capital-increases",
    ),
    path(
        "companies/<str:code>/annual-reports/",
        views.AnnualReportView.as_view(),
        name="company-annual-reports",
    ),
    path(
        "companies/<str:code>/liquidation/",
        views.LiquidationView.as_view(),
        name="company-liquidation",
    ),
    path("companies/<str:code>/deletion/", views.DeletionView.as_view(), name="company-deletion"),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns = [
    path("companies/", me.MyCompaniesView.as_view(), name="me-companies"),
    path("organisation/", me.MyOrganisationView.as_view(), name="me-organisation"),
]
