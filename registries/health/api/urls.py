"""URLs of the health registry: providers', pharmacies' and the ministry's at
``/api/v1/health/``; the patient's own in ``me_urlpatterns`` (``/api/v1/me/``)."""

from django.urls import URLPattern, URLResolver, path

from registries.health.api import views
from registries.health.commands import COMMANDS

app_name = "health"
PATIENT = "patients/<str:code>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(PATIENT, views.PatientRecordView.as_view(), name="patient-record"),
    path(f"{PATIENT}entry-message/", views.EntryMessageView.as_view(), name="entry-message"),
    path(f"{PATIENT}key-accesses/", views.KeyAccessView.as_view(), name="key-accesses"),
    path("emergency-accesses/", views.EmergencyAccessView.as_view(), name="emergency-accesses"),
    # The commands; issuing a prescription joins the pharmacists' list at prescriptions/.
    *COMMANDS.urlpatterns(reads={f"{PATIENT}prescriptions/": views.PrescriptionView}),
]
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("health/", views.MyHealthView.as_view(), name="me-health"),
    path("health/consents/", views.MyConsentView.as_view(), name="me-health-consents"),
    path(
        "health/representatives/",
        views.MyRepresentativeView.as_view(),
        name="me-health-representatives",
    ),
    path(
        "health/representatives/removal/",
        views.MyRepresentativeRemovalView.as_view(),
        name="me-health-representative-removal",
    ),
]
