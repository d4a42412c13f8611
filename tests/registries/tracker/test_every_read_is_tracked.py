"""Every read endpoint of the health and court registries, and every admin page of their
records (a record's page, its history, a search and every list filter), leaves a data
tracker event.

The endpoints are enumerated from the URL configuration and the admin site (its
registered models, their search fields and list filters), so a new read endpoint,
admin page or filter that does not record its reads makes this fail.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from registries.court.models import CaseRecord
from registries.health.models import PatientRecord
from registries.tracker.models import CovertCommitmentRecord, ReadRecord
from tests.registries.court import helpers as court
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

TRACKED_PREFIXES = ("api/v1/health/", "api/v1/court/")
TRACKED_APPS = ("health", "court")


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern with its full route."""
    found: list[tuple[str, URLPattern]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(patterns(entry, route))
        else:
            found.append((route, entry))
    return found


def read_endpoints() -> list[tuple[str, URLPattern]]:
    """The API routes of the health and court registries that answer GET."""
    found = []
    for route, pattern in patterns():
        view = getattr(pattern.callback, "view_class", None)
        if route.startswith(TRACKED_PREFIXES) and view is not None and hasattr(view, "get"):
            found.append((route, pattern))
    return found


def tracked() -> int:
    return ReadRecord.objects.count() + CovertCommitmentRecord.objects.count()


def staff_client(code: str) -> Client:
    """An admin session of the (already signed-up) user ``code``."""
    user = get_user_model().objects.get(username=code)
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_every_health_and_court_read_endpoint_and_admin_page_leaves_a_tracker_event() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, _ = h.pharmacist()
    ministry = h.ministry()
    h.encounter(doctor, patient)
    h.prescription(doctor, patient, issued_on=timezone.localdate())
    h.run(lambda a: a.close_access(patient, "", patient))
    readers = {
        "doctor": identity.token_client(doctor.code),
        "pharmacist": identity.token_client(pharmacist),
        "ministry": identity.token_client(ministry),
        "auditor": identity.token_client(identity.official("health", "auditor")),
    }
    emergency = readers["doctor"].get(
        f"/api/v1/health/patients/{patient}/", {"emergency_reason": "collapsed in the street"}
    )
    assert emergency.status_code == 200
    h.run(lambda a: a.open_access(patient, "", patient))

    case = court.open_case()
    court.add_party(case, patient, "plaintiff")
    day = court.TODAY + timedelta(days=7)
    court.run(
        lambda a: a.schedule_hearing(
            case.number,
            datetime.combine(day, time(10), tzinfo=timezone.get_current_timezone()),
            "101",
            case.judge,
            court.TODAY,
        )
    )
    judge = court.judge()

    readers["judge"] = identity.token_client(judge)
    values = {"code": patient, "number": case.number}
    query = {"date": day.isoformat()}

    endpoints = read_endpoints()
    assert len(endpoints) >= 6, [route for route, _ in endpoints]
    for route, pattern in endpoints:
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        url = "/" + route
        for name, value in kwargs.items():
            url = url.replace(f"<str:{name}>", value).replace(f"<int:{name}>", value)
        answered = []
        for who, client in readers.items():
            before = tracked()
            response = client.get(url, query)
            answered.append((who, response.status_code))
            # An allowed read is tracked; so is a refused read of a named person's data.
            if response.status_code == 200 or "code" in kwargs:
                assert tracked() > before, f"GET {url} by the {who} left no tracker event"
            if response.status_code == 200:
                break
        assert answered[-1][1] == 200, f"GET {url}: no reader was allowed: {answered}"

    pages = [
        (model, record, staff_client(code))
        for model, record, code in (
            (PatientRecord, PatientRecord.objects.get(), ministry),
            (CaseRecord, CaseRecord.objects.get(), judge),
        )
    ]
    registered = {m for m in admin.site._registry if m._meta.app_label in TRACKED_APPS}
    assert registered == {model for model, _, _ in pages}, "an admin page is not walked"
    for model, record, browser in pages:
        info = model._meta.app_label, model._meta.model_name
        for kind in ("change", "history"):
            url = reverse("admin:{}_{}_{}".format(*info, kind), args=[record.pk])
            before = tracked()
            page = browser.get(url)
            assert page.status_code == 200, url
            assert tracked() > before, f"the admin page {url} left no tracker event"
        searches_and_filters(admin.site._registry[model], browser, patient)


def searches_and_filters(model_admin: ModelAdmin[Any], browser: Client, code: str) -> None:
    """A search by the person's code, and every choice of every list filter, that shows
    records leaves a tracker event."""
    info = model_admin.opts.app_label, model_admin.opts.model_name
    url = reverse("admin:{}_{}_changelist".format(*info))
    queries = [{"q": code}] if model_admin.search_fields else []
    changelist = browser.get(url).context["cl"]
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            if choice["query_string"] not in ("", "?"):
                queries.append(QueryDict(choice["query_string"].lstrip("?")).dict())
    shown = 0
    for query in queries:
        before = tracked()
        page = browser.get(url, query)
        assert page.status_code == 200, (url, query)
        if page.context["cl"].result_count:
            shown += 1
            assert tracked() > before, f"{url} with {query} left no tracker event"
    assert shown, f"no search or filter of {url} showed a record"


def test_anonymous_reads_of_the_public_court_register_are_not_tracked() -> None:
    case = court.open_case()
    court.add_party(case, h.patient(), "plaintiff")
    response = Client().get(f"/api/v1/court/cases/{case.number}/")
    assert response.status_code == 200
    assert tracked() == 0


def test_a_party_reading_their_own_case_is_not_tracked_for_themselves() -> None:
    case = court.open_case()
    me, other = h.patient(), h.patient("Jüri", "Mets")
    court.add_party(case, me, "plaintiff")
    court.add_party(case, other, "defendant")
    identity.token_client(me).get(f"/api/v1/court/cases/{case.number}/")
    assert list(ReadRecord.objects.values_list("subject_code", "reader_code")) == [(other, me)]
