"""Helpers for the health registry's tests: patients, hospitals, doctors with keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registries.common.application import running
from registries.common.codes import registry_code
from registries.common.commands import issue
from registries.health.application import HealthRegistry
from registries.health.projections import PROJECTIONS
from tests.registries.identity import helpers as identity

ISSUED = date(2026, 1, 10)


@dataclass(frozen=True)
class Doctor:
    """A doctor licensed at a hospital, with their e-ID key."""

    code: str
    hospital: str
    key: Ed25519PrivateKey


def run(command: Any) -> Any:
    """Issue a health command and catch up its read models."""
    return issue(HealthRegistry, PROJECTIONS, command)


def app() -> HealthRegistry:
    return running(HealthRegistry)


def organisation(kind: str, name: str) -> str:
    serial = next(identity._serials)
    code = registry_code(serial, kind_digit=7)
    return str(identity.run(lambda a: a.register_organisation(code, name, kind, "registrar")))


def hospital(name: str = "Tartu Ülikooli Kliinikum") -> str:
    return organisation("hospital", name)


def pharmacy(name: str = "Südameapteek") -> str:
    return organisation("pharmacy", name)


def doctor(at: str | None = None) -> Doctor:
    """A doctor appointed at a (new) hospital, with a registered key."""
    place = at or hospital()
    code = identity.official("health", "doctor", place)
    key = Ed25519PrivateKey.generate()
    identity.run(lambda a: a.register_key(code, identity.raw_public(key), "registrar"))
    return Doctor(code, place, key)


def pharmacist(at: str | None = None) -> tuple[str, str]:
    """(pharmacist's code, pharmacy code)."""
    place = at or pharmacy()
    return identity.official("health", "pharmacist", place), place


def ministry() -> str:
    """A health registrar of the Ministry of Social Affairs."""
    return identity.official("health", "registrar")


def patient(first: str = "Mari", last: str = "Tamm") -> str:
    return identity.person(first, last)


def encounter(
    by: Doctor,
    patient_code: str,
    summary: str = "Wheezing after exercise",
    diagnoses: list[str] | None = None,
    on: date = ISSUED,
) -> int:
    """Record an encounter signed by ``by``; return its number."""
    codes = diagnoses if diagnoses is not None else ["J45.0"]
    message = app().encounter_message(patient_code, by.hospital, by.code, summary, codes, on)
    return int(
        run(
            lambda a: a.record_encounter(
                patient_code,
                by.hospital,
                by.code,
                summary,
                codes,
                on,
                by.key.sign(message),
                by.code,
            )
        )
    )


def prescription(
    by: Doctor,
    patient_code: str,
    medicine: str = "Salbutamol 100 mcg inhaler",
    dosage: str = "2 puffs when needed",
    issued_on: date = ISSUED,
    days: int = 30,
) -> int:
    """Issue a prescription signed by ``by``; return its number."""
    expires_on = issued_on + timedelta(days=days)
    message = app().prescription_message(
        patient_code, by.hospital, by.code, medicine, dosage, issued_on, expires_on
    )
    return int(
        run(
            lambda a: a.issue_prescription(
                patient_code, by.hospital, by.code, medicine, dosage, issued_on, expires_on,
                by.key.sign(message), by.code,
            )
        )
    )  # fmt: skip


def e_id_key(code: str) -> Ed25519PrivateKey:
    """Register a fresh e-ID key for the person ``code``; return it (to sign e-services)."""
    key = Ed25519PrivateKey.generate()
    identity.run(lambda a: a.register_key(code, identity.raw_public(key), "registrar"))
    return key


def signed(
    payload: dict[str, Any], command: str, *signers: tuple[str, Ed25519PrivateKey]
) -> dict[str, Any]:
    """``payload`` with the ``signatures`` of a health e-service ``command``."""
    from tests.registries.access.citizens import signature

    return {
        **payload,
        "signatures": [signature(key, code, "health", command, payload) for code, key in signers],
    }
