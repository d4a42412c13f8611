"""Where each registry lives: ``DATABASE_URL_<REGISTRY>`` and the router (ADR 0069)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.test import override_settings

from chain.blocks.models import Block
from chain.ledger.models import LedgerEntry
from config.databases import ATOMIC_GROUPS, RegistryRouter, place_registries
from registries.health.models import PatientRecord
from registries.identity.models import PersonRecord

DEFAULT = {"ENGINE": "django.db.backends.postgresql", "HOST": "db", "PORT": "", "NAME": "riik"}
REGISTRIES = ["business", "court", "health", "identity", "money", "property", "tracker"]


def db(name: str, port: str = "") -> dict[str, Any]:
    return {**DEFAULT, "NAME": name, "PORT": port}


def place(**urls: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    return place_registries({r: urls.get(r) for r in REGISTRIES}, DEFAULT)


def test_without_any_registry_url_every_registry_is_in_the_default_database() -> None:
    placement, databases = place()
    assert set(placement.values()) == {"default"}
    assert databases == {}


def test_a_registry_url_gives_it_a_database_named_after_it() -> None:
    placement, databases = place(health=db("riik_health"), court=db("riik_court"))
    assert placement["health"] == "health"
    assert placement["court"] == "court"
    assert placement["identity"] == "default"
    assert databases["health"]["NAME"] == "riik_health"


def test_registries_naming_one_database_share_one_alias_however_the_url_is_spelt() -> None:
    placement, databases = place(
        business=db("riik_trade"), money=db("riik_trade", "5432"), property=db("riik_trade")
    )
    assert {placement[r] for r in ("business", "money", "property")} == {"business"}
    assert list(databases) == ["business"]


def test_a_registry_url_naming_the_default_database_is_the_default_database() -> None:
    placement, databases = place(health=db("riik", "5432"))
    assert placement["health"] == "default"
    assert databases == {}


@pytest.mark.parametrize(
    "urls",
    [
        {"money": db("riik_money")},
        {"business": db("riik_a"), "money": db("riik_a"), "property": db("riik_b")},
    ],
)
def test_splitting_registries_that_commit_together_is_refused_naming_the_variables(
    urls: dict[str, dict[str, Any]],
) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        place(**urls)
    message = str(refused.value)
    assert "business, money, property" in message
    assert "DATABASE_URL_MONEY" in message
    assert "must share one database" in message


def test_money_business_and_property_are_one_atomic_group() -> None:
    assert frozenset({"business", "money", "property"}) in ATOMIC_GROUPS


PLACED = {**dict.fromkeys(REGISTRIES, "default"), "health": "health", "consensus": "default"}


@override_settings(RIIK_LOG_DATABASES=PLACED)
def test_the_router_keeps_a_registrys_tables_in_its_own_database_only() -> None:
    router = RegistryRouter()
    assert router.allow_migrate("health", "health", "patientrecord")
    assert not router.allow_migrate("default", "health", "patientrecord")
    assert not router.allow_migrate("health", "identity", "personrecord")
    assert router.db_for_read(PatientRecord) == "health"
    assert router.db_for_write(PersonRecord) == "default"


@override_settings(RIIK_LOG_DATABASES=PLACED)
def test_every_log_database_has_the_ledger_tables_and_tracking_positions_and_nothing_else() -> None:
    router = RegistryRouter()
    for model in ("ledgerentry", "ledgersubtree", "ledgerhead"):
        assert router.allow_migrate("health", "chain", model)
        assert router.allow_migrate("default", "chain", model)
    assert router.allow_migrate("health", "common", "projectionposition")
    assert not router.allow_migrate("health", "chain", "block")
    assert not router.allow_migrate("health", "common", "idempotentrequest")
    assert not router.allow_migrate("health", "auth", "user")
    assert router.allow_migrate("default", "auth", "user")


@override_settings(RIIK_LOG_DATABASES=PLACED)
def test_a_ledger_row_is_written_to_its_logs_database() -> None:
    router = RegistryRouter()
    assert router.db_for_write(LedgerEntry, instance=LedgerEntry(registry="health")) == "health"
    assert router.db_for_write(LedgerEntry, instance=LedgerEntry(registry="identity")) == "default"
    assert router.db_for_write(Block) is None


@override_settings(RIIK_LOG_DATABASES=PLACED)
def test_a_query_naming_a_registry_reads_that_logs_database() -> None:
    assert LedgerEntry.objects.filter(registry="health").db == "health"
    assert LedgerEntry.objects.filter(registry="identity", seq=1).db == "default"
    assert LedgerEntry.objects.using("default").filter(registry="health").db == "default"
    assert LedgerEntry.objects.filter(Q(registry="health") & Q(seq=1)).db == "health"
    assert LedgerEntry.objects.filter(registry__exact="health").db == "health"  # the admin's
    # Rows of two logs, or of any log but one, are not one log's: the default database.
    assert LedgerEntry.objects.filter(Q(registry="health") | Q(registry="court")).db == "default"
    assert LedgerEntry.objects.filter(~Q(registry="health")).db == "default"
