"""One dataset's figures for :mod:`bench.national` (a child process: Django is set up here).

    python -m bench.national_measure --out figures.json [--samples 200]

Reads the seeded database in ``DATABASE_URL``: API read, write, search and
list-page latencies through Django's test client (no network, no throttle),
the admin change lists as a superuser, and inclusion proofs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.stats import latency_summary  # noqa: E402
from chain.ledger import proofs  # noqa: E402
from chain.ledger.models import LedgerEntry  # noqa: E402
from registries.business.application import BusinessRegistry  # noqa: E402
from registries.business.models import CompanyRecord  # noqa: E402
from registries.business.projections import PROJECTIONS  # noqa: E402
from registries.common.application import running  # noqa: E402
from registries.common.commands import issue  # noqa: E402
from registries.identity.models import PersonRecord  # noqa: E402

LISTS = {
    "api_companies": "/api/v1/business/companies/",
    "api_land_units": "/api/v1/property/land-units/",
    "api_cases": "/api/v1/court/cases/",
    "admin_companies": "/admin/business/companyrecord/",
    "admin_persons": "/admin/identity/personrecord/",
    "admin_land_units": "/admin/property/landunitrecord/",
}


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
    response = client.get(url, params or {})
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")


def page_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        get_ok(client, url)
    return len(captured)


def page_reader(client: Client, url: str) -> Callable[[int], None]:
    """A reader of one list page, for :func:`timed`."""
    return lambda _: get_ok(client, url)


def measure(samples: int) -> dict[str, Any]:
    rng = random.Random(1)
    codes = list(
        CompanyRecord.objects.filter(status="active").values_list("registry_code", flat=True)
    )
    names = list(CompanyRecord.objects.values_list("name", flat=True))
    picked = [rng.choice(codes) for _ in range(samples + 5)]
    words = [rng.choice(names).split()[0] for _ in range(samples + 5)]
    public = Client()
    root = get_user_model().objects.create_superuser("bench-root", password="x" * 20)
    staff = Client()
    staff.force_login(root)
    app = running(BusinessRegistry)

    companies = "/api/v1/business/companies/"

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

    figures: dict[str, Any] = {
        "persons": PersonRecord.objects.count(),
        "companies": len(codes),
        "ledger_entries": LedgerEntry.objects.count(),
        "api_read": timed(samples, read),
        "search_name": timed(samples, search_name),
        "search_code": timed(samples, search_code),
        "write": timed(max(samples // 4, 10), write),
        "lists": {},
    }
    for name, url in LISTS.items():
        client = staff if name.startswith("admin") else public
        figures["lists"][name] = {
            **timed(max(samples // 10, 10), page_reader(client, url)),
            "queries": page_queries(client, url),
        }
    size = proofs.log_size("business")
    seqs = [rng.randint(1, size) for _ in range(samples * 5)]

    def prove(index: int) -> None:
        proofs.inclusion_proof("business", seqs[index], size)

    figures["inclusion_proof"] = timed(len(seqs) - 5, prove)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.national_measure")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    args.out.write_text(json.dumps(measure(args.samples)))


if __name__ == "__main__":
    main()
