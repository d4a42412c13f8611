"""The reads and writes :mod:`bench.national_measure` times on a seeded national database.

Imported only after ``django.setup()`` (it imports models). Everything runs in
one process with Django's test client (no network, no throttle), so a figure
is the cost of the view and its queries alone: a company card (API read),
``change_address`` through ``issue`` (write), company search by a name's first
word and by an exact registry code, the same name search in the admin, a
person search by last name in the admin, the first page of the API lists and
the admin change lists with each page's query count, and RFC 9162 inclusion
proofs in the business log.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.stats import latency_summary
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.models import CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.application import running
from registries.common.commands import issue
from registries.identity.models import PersonRecord

LISTS = {
    "api_companies": "/api/v1/business/companies/",
    "api_land_units": "/api/v1/property/land-units/",
    "api_cases": "/api/v1/court/cases/",
    "admin_companies": "/admin/business/companyrecord/",
    "admin_persons": "/admin/identity/personrecord/",
    "admin_land_units": "/admin/property/landunitrecord/",
}
SUPERUSER = "bench-root"


def timed(samples: int, run: Callable[[int], object]) -> dict[str, float]:
    """Latency summary of ``samples`` calls of ``run(i)`` after a few warm-up calls."""
    for index in range(min(5, samples)):
        run(index)
    timings = []
    for index in range(samples):
        start = time.perf_counter()
        run(index)
        timings.append(time.perf_counter() - start)
    return latency_summary(timings)


def get_ok(client: Client, url: str, params: dict[str, str] | None = None) -> None:
    """GET ``url``; raise unless it answered 200 (a failed page is no figure)."""
    response = client.get(url, params or {})
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")


def page_queries(client: Client, url: str, params: dict[str, str] | None = None) -> int:
    """How many SQL queries one GET of ``url`` runs."""
    with CaptureQueriesContext(connection) as captured:
        get_ok(client, url, params)
    return len(captured)


def page_reader(client: Client, url: str) -> Callable[[int], None]:
    """A reader of one page, for :func:`timed`."""
    return lambda _: get_ok(client, url)


def staff_client() -> Client:
    """A client signed in as the bench's superuser (made once per database)."""
    users = get_user_model()
    root = users.objects.filter(username=SUPERUSER).first()
    if root is None:
        root = users.objects.create_superuser(SUPERUSER, password="x" * 20)
    staff = Client()
    staff.force_login(root)
    return staff


def database_mib() -> float:
    """The size on disk of the database, tables and indexes (for the operator's sizing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        (size,) = cursor.fetchone() or (0,)
    return float(size) / 2**20


def measure(samples: int) -> dict[str, Any]:
    """Every figure of one seeded database (see the module's docstring)."""
    rng = random.Random(1)
    codes = list(
        CompanyRecord.objects.filter(status="active").values_list("registry_code", flat=True)
    )
    names = list(CompanyRecord.objects.values_list("name", flat=True))
    last_names = list(PersonRecord.objects.values_list("last_name", flat=True)[:10_000])
    picked = [rng.choice(codes) for _ in range(samples + 5)]
    words = [rng.choice(names).split()[0] for _ in range(samples + 5)]
    surnames = [rng.choice(last_names) for _ in range(samples + 5)]
    public = Client()
    staff = staff_client()
    app = running(BusinessRegistry)

    companies = "/api/v1/business/companies/"
    admin_companies = LISTS["admin_companies"]
    admin_persons = LISTS["admin_persons"]

    def write(index: int) -> None:
        address = f"Narva mnt {index + 1}, Tallinn"
        issue(BusinessRegistry, PROJECTIONS,
              lambda _: app.change_address(picked[index], address, "bench"))  # fmt: skip

    def read(index: int) -> None:
        get_ok(public, f"{companies}{picked[index]}/")

    def search_name(index: int) -> None:
        get_ok(public, companies, {"q": words[index]})

    def search_code(index: int) -> None:
        get_ok(public, companies, {"q": picked[index]})

    def admin_search_name(index: int) -> None:
        get_ok(staff, admin_companies, {"q": words[index]})

    def admin_search_person(index: int) -> None:
        get_ok(staff, admin_persons, {"q": surnames[index]})

    few = max(samples // 10, 10)
    by_registry = LedgerEntry.objects.values("registry").annotate(n=Count("seq"))
    figures: dict[str, Any] = {
        "persons": PersonRecord.objects.count(),
        "companies": len(codes),
        "ledger_entries": LedgerEntry.objects.count(),
        "entries_by_registry": {row["registry"]: row["n"] for row in by_registry},
        "database_mib": database_mib(),
        "api_read": timed(samples, read),
        "search_name": timed(samples, search_name),
        "search_code": timed(samples, search_code),
        "admin_search_name": {
            **timed(few, admin_search_name),
            "queries": page_queries(staff, admin_companies, {"q": words[0]}),
        },
        "admin_search_person": {
            **timed(few, admin_search_person),
            "queries": page_queries(staff, admin_persons, {"q": surnames[0]}),
        },
        "write": timed(max(samples // 4, 10), write),
        "lists": {},
    }
    for name, url in LISTS.items():
        client = staff if name.startswith("admin") else public
        figures["lists"][name] = {
            **timed(few, page_reader(client, url)),
            "queries": page_queries(client, url),
        }
    size = proofs.log_size("business")
    seqs = [rng.randint(1, size) for _ in range(samples * 5)]

    def prove(index: int) -> None:
        proofs.inclusion_proof("business", seqs[index], size)

    figures["inclusion_proof"] = timed(len(seqs) - 5, prove)
    return figures
