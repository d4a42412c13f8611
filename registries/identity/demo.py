"""Synthetic population for ``manage.py demo``: people, organisations, officials, e-ID keys.

Everything goes through the identity registry's commands, so every record's
history is on the ledger. Names, codes, organisations and appointments are
deterministic for a given ``rng``; the Ed25519 private keys are not: they are
fresh random keys written only into ``settings.RIIK_DATA_DIR / "demo-keys" /
"<personal code>.pem"`` (PKCS#8 PEM, mode 0600, directory 0700), never into
the repository, so that the demo operator can sign in as any official (every
official has a key) and sign as a notary or a citizen.
A later run overwrites the file of a code it registers a new key for.

Officials (at least two registrars of identity, business and property, three
judges, three notaries with keys, three doctors, two pharmacists and an
auditor) are drawn from the people; the two identity registrars come first,
bootstrapped by an operator (a person of their own: the operator appoints the
first, the first proposes the second and the operator confirms), and every
other appointment that takes four eyes (a role reading health or court data)
is proposed by the first of them and confirmed by the second. Officials
are drawn from the people, so at least :data:`MIN_PERSONS` persons are
registered whatever ``persons`` asks.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings
from django.utils import timezone

from registries.common.application import running
from registries.common.codes import personal_code, registry_code
from registries.common.errors import Conflict
from registries.common.seeding import in_batches
from registries.identity.application import IdentityRegistry, NewPerson
from registries.identity.bootstrap import operator_actor
from registries.identity.vocabulary import IDENTITY_REGISTRAR, needs_confirmation

ACTOR = "demo"
KEYS_DIRECTORY = "demo-keys"
# Share of ordinary citizens who get an e-ID key.
KEYHOLDER_SHARE = 0.3

# (registry, role, how many, organisation kind or None)
OFFICIALS: list[tuple[str, str, int, str | None]] = [
    ("identity", "registrar", 2, "state_agency"),
    ("business", "registrar", 2, "state_agency"),
    ("property", "registrar", 2, "state_agency"),
    ("court", "judge", 3, "court"),
    ("property", "notary", 3, "notary_office"),
    ("health", "doctor", 3, "hospital"),
    ("health", "pharmacist", 2, "pharmacy"),
    ("health", "registrar", 1, "state_agency"),
    ("identity", "auditor", 1, "state_agency"),
]
# The officials and the operator who bootstraps the first identity registrars.
MIN_PERSONS = 1 + sum(count for _, _, count, _ in OFFICIALS)

_MALE = [
    "Andres", "Jaan", "Peeter", "Toomas", "Martin", "Rasmus", "Mart", "Tõnu", "Indrek", "Margus",
    "Priit", "Siim", "Urmas", "Kristjan", "Marko", "Raivo", "Ants", "Jüri", "Oliver", "Robin",
]  # fmt: skip
_FEMALE = [
    "Anna", "Mari", "Kadri", "Liis", "Katrin", "Tiina", "Kersti", "Maarja", "Triin", "Piret",
    "Eha", "Helen", "Sirje", "Ülle", "Marge", "Laura", "Sofia", "Eliise", "Hanna", "Kätlin",
]  # fmt: skip
_SURNAMES = [
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel",
    "Lepik", "Kuusk", "Karu", "Mets", "Kivi", "Lõhmus", "Raudsepp", "Vaher", "Põder", "Kallas",
    "Org", "Jõgi", "Laur", "Teder", "Männik", "Sild", "Õunapuu", "Vares", "Kruus", "Liiv",
]  # fmt: skip

# (kind, registry code kind digit, names)
_ORGANISATIONS: list[tuple[str, int, list[str]]] = [
    ("state_agency", 7, ["Rahvastikuregistri Amet", "Registrite ja Infosüsteemide Keskus"]),
    ("court", 7, ["Harju Maakohus"]),
    ("bank", 1, ["Põhjapank AS", "Läänemere Pank AS", "Kodupank AS"]),
    ("notary_office", 1, ["Notar Tamm OÜ", "Vanalinna Notaribüroo OÜ", "Tartu Notarid OÜ"]),
    ("hospital", 9, ["Põhja Regionaalhaigla SA", "Lõuna Kliinikum SA"]),
    ("pharmacy", 1, ["Raeapteek OÜ", "Südameapteek OÜ", "Mõisa Apteek OÜ"]),
    ("law_firm", 1, ["Kask ja Partnerid OÜ"]),
    ("ngo", 8, ["Eesti Vabatahtlike Liit MTÜ"]),
]


@dataclass
class IdentitySeed:
    """The registry codes and personal codes the identity seeder created, by role."""

    people: list[str] = field(default_factory=list)
    keyholders: list[str] = field(default_factory=list)
    deceased: list[str] = field(default_factory=list)
    state_agencies: list[str] = field(default_factory=list)
    banks: list[str] = field(default_factory=list)
    notary_offices: list[str] = field(default_factory=list)
    hospitals: list[str] = field(default_factory=list)
    pharmacies: list[str] = field(default_factory=list)
    courts: list[str] = field(default_factory=list)
    law_firms: list[str] = field(default_factory=list)
    ngos: list[str] = field(default_factory=list)
    identity_registrars: list[str] = field(default_factory=list)
    business_registrars: list[str] = field(default_factory=list)
    property_registrars: list[str] = field(default_factory=list)
    judges: list[str] = field(default_factory=list)
    notaries: list[str] = field(default_factory=list)
    doctors: list[str] = field(default_factory=list)
    pharmacists: list[str] = field(default_factory=list)
    health_registrars: list[str] = field(default_factory=list)
    auditors: list[str] = field(default_factory=list)
    # (registry code, personal code): who signs in for an organisation that is not a company.
    representatives: list[tuple[str, str]] = field(default_factory=list)
    keys_dir: Path = field(default_factory=Path)
    # The operator who bootstraps the first two identity registrars (a person, no official).
    operator: str = ""

    @property
    def organisations(self) -> list[str]:
        """Every organisation's registry code."""
        return [
            *self.state_agencies,
            *self.courts,
            *self.banks,
            *self.notary_offices,
            *self.hospitals,
            *self.pharmacies,
            *self.law_firms,
            *self.ngos,
        ]

    def officials(self, registry: str, role: str) -> list[str]:
        """The personal codes appointed to ``role`` in ``registry``."""
        return list(getattr(self, _ROLE_TO_FIELD[(registry, role)]))

    def key_file(self, code: str) -> Path:
        """The PEM file with the private key of a keyholder."""
        return self.keys_dir / f"{code}.pem"


_KINDS_TO_FIELD = {
    "state_agency": "state_agencies",
    "court": "courts",
    "bank": "banks",
    "notary_office": "notary_offices",
    "hospital": "hospitals",
    "pharmacy": "pharmacies",
    "law_firm": "law_firms",
    "ngo": "ngos",
}
_ROLE_TO_FIELD = {
    ("identity", "registrar"): "identity_registrars",
    ("business", "registrar"): "business_registrars",
    ("property", "registrar"): "property_registrars",
    ("court", "judge"): "judges",
    ("property", "notary"): "notaries",
    ("health", "doctor"): "doctors",
    ("health", "pharmacist"): "pharmacists",
    ("health", "registrar"): "health_registrars",
    ("identity", "auditor"): "auditors",
}


def keys_directory() -> Path:
    """``RIIK_DATA_DIR/demo-keys`` (created with mode 0700)."""
    directory = Path(settings.RIIK_DATA_DIR) / KEYS_DIRECTORY
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    return directory


def write_private_key(directory: Path, code: str, key: Ed25519PrivateKey) -> Path:
    """Write ``key`` as PKCS#8 PEM to ``directory/<code>.pem`` with mode 0600 (atomically)."""
    target = directory / f"{code}.pem"
    temporary = directory / f".{code}.pem.tmp"
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, pem)
    finally:
        os.close(descriptor)
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    return target


def _new_key(directory: Path, code: str) -> bytes:
    key = Ed25519PrivateKey.generate()
    write_private_key(directory, code, key)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _new_person(rng: random.Random, today: date, adult: bool) -> NewPerson:
    """A made-up person with a random code (which may be taken already)."""
    oldest, youngest = (1940, 1998) if adult else (1935, today.year - 1)
    born = date(oldest, 1, 1) + timedelta(
        days=rng.randint(0, (date(youngest, 12, 31) - date(oldest, 1, 1)).days)
    )
    sex = rng.choice("MF")
    code = personal_code(born, sex, rng.randint(0, 999))
    first = rng.choice(_MALE if sex == "M" else _FEMALE)
    return NewPerson(code, first, rng.choice(_SURNAMES))


def _new_free_person(
    app: IdentityRegistry, rng: random.Random, today: date, batch: Sequence[NewPerson]
) -> NewPerson:
    """A made-up person whose code neither the registry nor ``batch`` has (mostly: the
    batch is sent again for a clash that slips through)."""
    new = _new_person(rng, today, adult=False)
    for _ in range(100):
        if all(new.code != other.code for other in batch) and not app.person_exists(new.code):
            break
        new = _new_person(rng, today, adult=False)
    return new


def _person(app: IdentityRegistry, rng: random.Random, today: date, adult: bool) -> str:
    """Register one person with a fresh code; return the code."""
    for _ in range(100):
        new = _new_person(rng, today, adult)
        try:
            return app.register_person(new.code, new.first_name, new.last_name, ACTOR, today)
        except Conflict:
            continue
    msg = "could not find a free personal code for the demo data"
    raise RuntimeError(msg)


def _organisation(
    app: IdentityRegistry, rng: random.Random, kind: str, digit: int, name: str
) -> str:
    for _ in range(100):
        code = registry_code(rng.randrange(1_000_000), kind_digit=digit)
        try:
            return app.register_organisation(code, name, kind, ACTOR)
        except Conflict:
            continue
    msg = "could not find a free registry code for the demo data"
    raise RuntimeError(msg)


def _appoint(
    app: IdentityRegistry,
    seed: IdentitySeed,
    code: str,
    registry: str,
    role: str,
    organisation: str | None,
) -> None:
    """Appoint an official; a role that takes four eyes is proposed by the first demo
    identity registrar and confirmed by the second. Those two come first, from the
    operator's bootstrap (registries.identity.bootstrap): the operator appoints the
    first, the first proposes the second and the operator confirms."""
    if (registry, role) == IDENTITY_REGISTRAR and len(seed.identity_registrars) < 2:
        operator = operator_actor(seed.operator)
        if not seed.identity_registrars:
            app.bootstrap_registrar(code, operator)
            return
        app.appoint_official(code, registry, role, None, seed.identity_registrars[0])
        app.confirm_appointment(code, registry, role, None, operator)
        return
    if not needs_confirmation(registry, role):
        app.appoint_official(code, registry, role, organisation, ACTOR)
        return
    proposer, confirmer = seed.identity_registrars[:2]
    app.appoint_official(code, registry, role, organisation, proposer)
    app.confirm_appointment(code, registry, role, organisation, confirmer)


def _live_a_life(
    app: IdentityRegistry, rng: random.Random, seed: IdentitySeed, code: str, today: date
) -> None:
    """Some of what happens to a person after birth: death, a new name, an ID card."""
    roll = rng.random()
    if roll < 0.03:
        lived = (today - app.person(code).born).days
        died_on = today - timedelta(days=rng.randint(0, min(lived, 3650)))
        app.record_death(code, died_on, ACTOR, today)
        seed.deceased.append(code)
        return
    if roll < 0.08:
        person = app.person(code)
        app.change_name(
            code, person.first_name, rng.choice(_SURNAMES) + "-" + person.last_name, ACTOR
        )
    if rng.random() < KEYHOLDER_SHARE:
        app.register_key(code, _new_key(seed.keys_dir, code), ACTOR)
        if rng.random() < 0.15:  # a lost ID card: a new key replaces the old one
            app.rotate_key(code, _new_key(seed.keys_dir, code), ACTOR)
        seed.keyholders.append(code)


def seed_identity(
    rng: random.Random,
    progress: Callable[[int], None] | None,
    persons: int,
) -> IdentitySeed:
    """Register organisations, ``max(persons, MIN_PERSONS)`` people, officials and keys.

    ``progress(n)`` is called after each person or batch of ``n`` people (the
    people without an office are registered in batches,
    :func:`~registries.common.seeding.in_batches`). The read models are not
    caught up here (the caller does it once at the end).
    """
    app = running(IdentityRegistry)
    today = timezone.localdate()
    seed = IdentitySeed(keys_dir=keys_directory())

    for kind, digit, names in _ORGANISATIONS:
        for name in names:
            getattr(seed, _KINDS_TO_FIELD[kind]).append(_organisation(app, rng, kind, digit, name))
    organisations_of = {kind: list(getattr(seed, attr)) for kind, attr in _KINDS_TO_FIELD.items()}

    seed.operator = _person(app, rng, today, adult=True)
    seed.people.append(seed.operator)
    if progress is not None:
        progress(1)
    # Officials first (adults), then everyone else.
    for registry, role, count, place_kind in OFFICIALS:
        for index in range(count):
            code = _person(app, rng, today, adult=True)
            seed.people.append(code)
            places = organisations_of.get(place_kind or "", [])
            organisation = places[index % len(places)] if places else None
            _appoint(app, seed, code, registry, role, organisation)
            getattr(seed, _ROLE_TO_FIELD[(registry, role)]).append(code)
            # Every official signs in to the admin with their e-ID key (ADR 0059);
            # notaries and doctors also endorse entries with it.
            app.register_key(code, _new_key(seed.keys_dir, code), ACTOR)
            seed.keyholders.append(code)
            if progress is not None:
                progress(1)

    # The first doctor (a key holder, appointed at the first hospital) also heads that
    # hospital, so the demo has an organisation token to try ("organisation": its code).
    head, hospital = seed.doctors[0], organisations_of["hospital"][0]
    app.appoint_representative(head, hospital, "chief physician", ACTOR)
    seed.representatives.append((hospital, head))

    # Everyone else: registered in batches (one transaction each), then their lives.
    batches = in_batches(
        max(persons, MIN_PERSONS) - MIN_PERSONS,
        lambda batch: _new_free_person(app, rng, today, batch),
        lambda batch: app.register_persons(batch, ACTOR, today),
    )
    for codes in batches:
        for code in codes:
            seed.people.append(code)
            _live_a_life(app, rng, seed, code, today)
        if progress is not None:
            progress(len(codes))
    return seed
