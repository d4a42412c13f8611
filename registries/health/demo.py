"""Synthetic health records for ``manage.py demo``.

Each demo patient gets encounters with ICD-10 diagnoses and prescriptions,
written through the health registry's commands by demo doctors, each entry
signed with the doctor's demo e-ID key (read from the demo keys folder the
identity seeder wrote); some prescriptions are dispensed by demo pharmacists,
some patients close their record to a hospital or to all and appoint a
representative. Deterministic for a given ``rng`` and the same inputs
(apart from the random keys and nonces).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.contrib.auth import get_user_model
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from registries.access.api_tokens import issue_api_token
from registries.common.application import running
from registries.health.application import HealthRegistry
from registries.identity.demo import IdentitySeed
from registries.identity.models import AppointmentRecord

# (ICD-10 code, what the doctor wrote)
ENCOUNTERS = [
    ("J06.9", "Acute upper respiratory infection, rest and fluids"),
    ("J45.0", "Allergic asthma, inhaler technique reviewed"),
    ("I10", "Essential hypertension, blood pressure 150/95"),
    ("E11.9", "Type 2 diabetes, HbA1c 7.1%"),
    ("M54.5", "Low back pain after lifting"),
    ("K21.0", "Reflux with oesophagitis"),
    ("S93.4", "Sprained ankle, strapping applied"),
    ("F41.1", "Generalised anxiety, referred to counselling"),
]
MEDICINES = [
    ("Salbutamol 100 mcg inhaler", "2 puffs when needed"),
    ("Amlodipine 5 mg", "1 tablet daily"),
    ("Metformin 500 mg", "1 tablet twice daily with meals"),
    ("Ibuprofen 400 mg", "1 tablet up to 3 times daily"),
    ("Omeprazole 20 mg", "1 capsule before breakfast"),
]


def _doctor_key(seed: IdentitySeed, code: str) -> Ed25519PrivateKey:
    key = load_pem_private_key((seed.keys_dir / f"{code}.pem").read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def _place(code: str, role: str) -> str:
    return str(
        AppointmentRecord.objects.filter(
            person__personal_code=code, registry="health", role=role, active=True
        )
        .values_list("organisation_code", flat=True)
        .first()
        or ""
    )


def seed_health(
    rng: random.Random,
    progress: Callable[[int], None] | None,
    patients: int,
    identity_seed: IdentitySeed,
) -> list[str]:
    """Write health records for up to ``patients`` people; return their codes.

    The read models are not caught up here (the identity read models must be).
    """
    app = running(HealthRegistry)
    today = timezone.localdate()
    doctors = [(code, _place(code, "doctor")) for code in identity_seed.doctors]
    doctors = [(code, place) for code, place in doctors if place]
    pharmacists = [(code, _place(code, "pharmacist")) for code in identity_seed.pharmacists]
    officials = set(identity_seed.doctors) | set(identity_seed.pharmacists)
    excluded = officials | set(identity_seed.deceased)
    people = [p for p in identity_seed.people if p not in excluded]
    if not doctors or not people or patients <= 0:
        return []
    chosen = people[:patients]
    for index, patient in enumerate(chosen):
        doctor, hospital = rng.choice(doctors)
        key = _doctor_key(identity_seed, doctor)
        diagnosis, summary = rng.choice(ENCOUNTERS)
        occurred_on = today - timedelta(days=rng.randint(1, 300))
        codes = [diagnosis]
        message = app.encounter_message(patient, hospital, doctor, summary, codes, occurred_on)
        app.record_encounter(
            patient, hospital, doctor, summary, codes, occurred_on, key.sign(message), doctor
        )
        if index % 2 == 0:
            medicine, dosage = rng.choice(MEDICINES)
            issued_on = today - timedelta(days=rng.randint(0, 20))
            expires_on = issued_on + timedelta(days=60)
            message = app.prescription_message(
                patient, hospital, doctor, medicine, dosage, issued_on, expires_on
            )
            number = app.issue_prescription(
                patient, hospital, doctor, medicine, dosage, issued_on, expires_on,
                key.sign(message), doctor,
            )  # fmt: skip
            if index % 4 == 0 and pharmacists:
                pharmacist, pharmacy = rng.choice(pharmacists)
                app.dispense(patient, number, pharmacy, pharmacist, today, pharmacist)
        if index % 5 == 1:
            app.close_access(patient, hospital, patient)
        if index % 7 == 3:
            app.close_access(patient, "", patient)
        if index % 6 == 2 and len(chosen) > 1:
            representative = chosen[(index + 1) % len(chosen)]
            app.appoint_representative(patient, representative, patient)
        if progress is not None:
            progress(1)
    return chosen


def print_patient_logins(console: Console, codes: list[str]) -> None:
    """API tokens for a few demo patients (users named by their personal code), apart
    from the officials': each acts only as a citizen, and is shown only now."""
    table = Table(title="Demo patients (API token only; try GET /api/v1/me/health/)")
    table.add_column("username", no_wrap=True)
    table.add_column("API token", overflow="fold")
    for code in codes:
        user, created = get_user_model().objects.get_or_create(username=code)
        if created:
            user.set_unusable_password()
            user.save()
        table.add_row(code, issue_api_token(user, ""))
    console.print(table)
