"""What ``manage.py demo`` tells its operator: who signs in with which key, and the cast.

Officials and patients are listed in tables sized to their content (a table
never wraps or crops a cell, whatever the terminal's width), and every API
token is printed alone on its own line, so it is copied whole. Patients are
people who are no officials: each has an API token of their own, never one
that also acts as an official.

The demo also writes ``RIIK_DATA_DIR/demo.env`` (:func:`write_cast`): the
codes of a few of its people and places as shell variables, so that the
documents' examples (``. var/demo.env``) run as written on any demo instance
(:func:`cast` registers a land unit for its citizen when the random data gave
them none).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from registries.access.api_tokens import issue_api_token
from registries.common.application import running
from registries.common.codes import PERSON
from registries.common.errors import Conflict, RegistryError
from registries.common.projections import catch_up_all
from registries.identity.demo import ACTOR, OFFICIALS, IdentitySeed
from registries.identity.models import OrganisationRecord, PersonRecord
from registries.property.application import PropertyRegistry
from registries.property.models import LandUnitRecord, OwnershipRecord

CAST_FILE = "demo.env"
ADULT_AGE = 18
PATIENTS_SHOWN = 3


@dataclass(frozen=True)
class Login:
    """One person the demo prints: who they are, their key file and their API token."""

    code: str
    name: str
    role: str
    key_file: str
    token: str


def _name(code: str) -> str:
    person = PersonRecord.objects.filter(personal_code=code).first()
    return f"{person.first_name} {person.last_name}" if person else ""


def _shown_path(path: Path) -> str:
    """The key file relative to the working folder when under it (``var/demo-keys/...``)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _api_token(code: str, *, role: str) -> str:
    """A new API token of the user named by ``code``, acting only as ``role`` ("" for a
    citizen); shown only now, since the database keeps its digest."""
    user, created = get_user_model().objects.get_or_create(username=code)
    if created:
        user.set_unusable_password()
    user.is_staff = bool(role)
    user.save()
    return issue_api_token(user, role)


def official_logins(identity: IdentitySeed) -> list[Login]:
    """Every demo official with their e-ID key file and an API token for scripts."""
    return [
        Login(
            code,
            _name(code),
            f"{registry}/{role}",
            _shown_path(identity.key_file(code)),
            _api_token(code, role=f"{registry}/{role}"),
        )
        for registry, role, _, _ in OFFICIALS
        for code in identity.officials(registry, role)
    ]


def patient_logins(identity: IdentitySeed, patients: list[str]) -> list[Login]:
    """A few patients who are no officials (e-ID key holders first), each with their own token."""
    officials = {
        code for registry, role, _, _ in OFFICIALS for code in identity.officials(registry, role)
    }
    holders = set(identity.keyholders)
    citizens = sorted(
        (code for code in patients if code not in officials), key=lambda code: code not in holders
    )
    chosen = citizens[:PATIENTS_SHOWN]
    return [
        Login(
            code,
            _name(code),
            "patient",
            _shown_path(identity.key_file(code)) if code in holders else "",
            _api_token(code, role=""),
        )
        for code in chosen
    ]


def print_sized(console: Console, table: Table) -> None:
    """Print ``table`` as wide as its content needs, so no cell wraps or is cropped."""
    unbounded = console.options.update_width(10_000)
    needed = Measurement.get(console, unbounded, table).maximum
    shown = console.width
    console.width = max(needed, shown)
    try:
        console.print(table)
    finally:
        console.width = shown


def print_logins(console: Console, officials: list[Login], patients: list[Login]) -> None:
    """The officials' and the patients' tables, then every API token on a line of its own."""
    table = Table(title="Demo officials: sign in at /admin/ with the personal code and key file")
    for column in ("role", "name", "personal code", "e-ID key file"):
        table.add_column(column, no_wrap=True)
    for login in officials:
        table.add_row(login.role, login.name, login.code, login.key_file)
    print_sized(console, table)
    _print_tokens(console, "Officials' API tokens (for scripts; valid 8 hours)", officials)
    if not patients:
        return
    table = Table(title="Demo patients: try GET /api/v1/me/health/ with their own token")
    for column in ("name", "personal code", "e-ID key file"):
        table.add_column(column, no_wrap=True)
    for login in patients:
        table.add_row(login.name, login.code, login.key_file or "(no e-ID key)")
    print_sized(console, table)
    _print_tokens(console, "Patients' own API tokens", patients)


def _print_tokens(console: Console, title: str, logins: list[Login]) -> None:
    console.print(f"{title}, personal code and token:")
    for login in logins:
        # soft_wrap: a long line runs on rather than breaking inside the token.
        console.print(f"  {login.code}  {login.token}", soft_wrap=True, highlight=False)


@dataclass(frozen=True)
class CastMember:
    """One line of ``demo.env``: a shell variable, its value and who or what it is."""

    variable: str
    value: str
    about: str


def cast(identity: IdentitySeed, officials: list[Login]) -> list[CastMember]:
    """The people and places the documents' examples use, chosen from this demo's data.

    ``CITIZEN`` is a living adult key holder who is no official nor representative,
    preferably the sole owner of an unseized land unit (``LAND_UNIT``; else one is
    registered for them), so that the notary's example can transfer it;
    ``CITIZEN_2`` and ``CITIZEN_3`` are further such key holders; ``NEW_CITIZEN``
    a living person with no key; ``APPLICATION_UNIT`` a land unit with a transfer
    application to ``CITIZEN_2`` awaiting ``NOTARY`` (filed here).
    """
    busy = {login.code for login in officials} | {code for _, code in identity.representatives}
    dead = set(identity.deceased)
    adults = set(
        PersonRecord.objects.filter(
            personal_code__in=identity.keyholders, born__lte=_years_ago(ADULT_AGE)
        ).values_list("personal_code", flat=True)
    )
    citizens = [code for code in identity.keyholders if code in adults and code not in busy | dead]
    owned = dict(
        OwnershipRecord.objects.filter(
            owner_code__in=citizens, share="1/1", unit__under_seizure=False
        ).values_list("owner_code", "unit_id")
    )
    citizens.sort(key=lambda code: code not in owned)
    if citizens and citizens[0] not in owned:
        owned[citizens[0]] = _guides_land_unit(citizens[0])
    members: list[CastMember] = []
    for number, code in enumerate(citizens[:3], start=1):
        variable = "CITIZEN" if number == 1 else f"CITIZEN_{number}"
        members.append(
            CastMember(variable, code, f"{_name(code)}, e-ID key var/demo-keys/{code}.pem")
        )
    if citizens:
        unit = LandUnitRecord.objects.get(pk=owned[citizens[0]])
        members.append(
            CastMember("LAND_UNIT", unit.cadastral_code, f"{unit.address}, owned by CITIZEN")
        )
    keyless = [
        code for code in identity.people if code not in set(identity.keyholders) | busy | dead
    ]
    if keyless:
        members.append(
            CastMember("NEW_CITIZEN", keyless[0], f"{_name(keyless[0])}, no e-ID key yet")
        )
    first: dict[str, Login] = {}
    for login in officials:
        first.setdefault(login.role, login)
    for role, variable in (
        ("identity/registrar", "IDENTITY_REGISTRAR"),
        ("business/registrar", "BUSINESS_REGISTRAR"),
        ("property/registrar", "PROPERTY_REGISTRAR"),
        ("property/notary", "NOTARY"),
        ("court/judge", "JUDGE"),
        ("health/doctor", "DOCTOR"),
        ("identity/auditor", "AUDITOR"),
    ):
        if role in first:
            login = first[role]
            members.append(CastMember(variable, login.code, f"{login.name}, {role}"))
            members.append(CastMember(f"{variable}_TOKEN", login.token, f"{role}'s API token"))
    notary, buyer = first.get("property/notary"), citizens[1:2]
    if notary and buyer:
        application_unit = _awaiting_application(notary.code, buyer[0], exclude=set(owned.values()))
        if application_unit:
            about = "a transfer application awaiting NOTARY's endorsement, to CITIZEN_2"
            members.append(CastMember("APPLICATION_UNIT", application_unit, about))
    for organisation, code in identity.representatives:
        if organisation in identity.hospitals:
            name = OrganisationRecord.objects.get(pk=organisation).name
            members.append(CastMember("HOSPITAL", organisation, name))
            members.append(
                CastMember("CHIEF_PHYSICIAN", code, f"{_name(code)}, signs in for {name}")
            )
            break
    return members


def _guides_land_unit(owner: str) -> str:
    """Register a land unit owned by ``owner`` alone (when the random data gave them none),
    so that the notary's example in the guides always has a unit to transfer."""
    registry = running(PropertyRegistry)
    for plot in range(10, 10_000):
        try:
            code = registry.register_land_unit(
                f"78401:101:{plot:04d}", 640, "residential", f"Pikk {plot}, Tallinn",
                [(owner, "1/1")], ACTOR,
            )  # fmt: skip
        except Conflict:
            continue  # the parcel is taken
        catch_up_all()
        return code
    msg = "no free cadastral code for the guides' land unit"
    raise RuntimeError(msg)


def _awaiting_application(notary: str, buyer: str, exclude: set[str]) -> str | None:
    """File a transfer application of a land unit to ``buyer`` for ``notary`` to endorse,
    so that a notary signing in to the demo's admin has one waiting; its unit's code."""
    parties = {notary, buyer}
    for unit in LandUnitRecord.objects.filter(under_seizure=False).exclude(pk__in=exclude):
        owners = list(unit.owners.values_list("owner_code", "owner_kind"))
        sellers = [code for code, kind in owners]
        if not owners or any(kind != PERSON for _, kind in owners) or parties & set(sellers):
            continue
        try:
            running(PropertyRegistry).apply_for_transfer(
                unit.cadastral_code, sellers, [(buyer, "1/1")], 9_500_000, notary, ACTOR
            )
        except RegistryError:
            continue  # a seller who has died, say: the next unit will do
        catch_up_all()
        return unit.cadastral_code
    return None


def _years_ago(years: int) -> date:
    """The first of this month ``years`` ago (never 29 February of a common year)."""
    today = timezone.localdate()
    return date(today.year - years, today.month, 1)


def write_cast(members: list[CastMember]) -> Path:
    """Write ``RIIK_DATA_DIR/demo.env`` (mode 0600: it holds API tokens)."""
    path = Path(settings.RIIK_DATA_DIR) / CAST_FILE
    lines = ["# Written by manage.py demo: its people and places for the guides' examples."]
    lines += ["# Load it in a shell with: . var/demo.env"]
    lines += [f"{m.variable}={m.value}  # {m.about}" for m in members]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path
