"""Issue 14 item 1 (DESIGN §8): personal data in identity and court events is sealed with
per-person keys, so the event store, full bundles and backups hold no person's code,
name or birth date in clear, an erasure makes them unrecoverable everywhere, and an
in-camera case's content opens only through the court registry."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db import connection

from chain.blocks.sealing import seal_pending
from chain.verify import main as verify_main
from registries.common.application import running
from registries.common.sealing import DataErased
from registries.court.application import CourtRegistry
from registries.court.domain import Case
from registries.court.models import PersonKey as CourtKey
from registries.court.vocabulary import case_id
from registries.identity.application import IdentityRegistry
from registries.identity.domain import Person
from registries.identity.models import PersonKey as IdentityKey
from registries.identity.models import PersonRecord
from registries.tracker.services import record_read
from tests.registries.court import helpers as court
from tests.registries.health.test_erasure import database_dump, found_in
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

FIRST, LAST = "Zebulon", "Quixotevski"
BORN = date(1957, 11, 23)
SECRET_TITLE = "Custody of the twins Ülle and Õie, in camera"
SECRET_SUMMARY = "Custody goes to the grandmother at Pärnu mnt 17-4"
THEFT = "Theft of a bicycle"


def event_tables() -> bytes:
    """Every stored event of the identity and court registries and of the data tracker
    (whose reads of them name the person), as bytes."""
    stored = io.BytesIO()
    with connection.cursor() as cursor:
        for table in ("identity_events", "court_events", "tracker_events"):
            cursor.execute(f"SELECT state FROM {connection.ops.quote_name(table)}")
            for (state,) in cursor.fetchall():
                stored.write(bytes(state) + b"\x1f")
    return stored.getvalue()


def full_bundle(tmp_path: Path) -> tuple[Path, bytes]:
    seal_pending()
    bundle = tmp_path / "bundle.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    return bundle, bundle.read_bytes()


def seeded_country() -> tuple[str, court.CaseSetup, court.CaseSetup]:
    """A person who is accused in a criminal case and a party of an in-camera civil case."""
    code = identity.person(FIRST, LAST, code=identity.new_code(born=BORN, sex="M"))
    criminal = court.open_case("criminal", title=THEFT)
    court.add_party(criminal, code, "accused")
    in_camera = court.open_case("civil", title=SECRET_TITLE, public=False)
    court.add_party(in_camera, code, "plaintiff")
    court.judgment(in_camera, summary=SECRET_SUMMARY)
    # The tracker: the judge reads the person's data, quoting their code; the person
    # reads someone's data themselves.
    record_read(
        reader=in_camera.judge,
        subjects=[code],
        registry="court",
        what=f"cases of {code}",
        purpose=f"hearing of {code} in {in_camera.number}",
    )
    record_read(reader=code, subjects=[in_camera.judge], registry="court", what="a", purpose="b")
    return code, criminal, in_camera


def secrets_of(code: str, judge: str) -> list[str]:
    """The person's code, names and birth date; a judge's code; both cases' content."""
    return [code, FIRST, LAST, BORN.isoformat(), judge, SECRET_TITLE, SECRET_SUMMARY, THEFT]


def test_no_event_and_no_full_bundle_holds_a_persons_data_in_clear(tmp_path: Path) -> None:
    code, _criminal, in_camera = seeded_country()
    stored = event_tables()
    bundle, exported = full_bundle(tmp_path)
    # The scans see what is in clear: the court's registry code, a case number.
    assert found_in(stored, in_camera.court)
    assert found_in(exported, in_camera.number)
    for secret in secrets_of(code, in_camera.judge):
        assert not found_in(stored, secret), secret
        assert not found_in(exported, secret), secret
    # The chain hashes the sealed payloads: the bundle verifies as it is.
    assert verify_main([str(bundle)]) == 0


def test_authorised_readers_see_the_data_as_before() -> None:
    code, _criminal, in_camera = seeded_country()
    registrar = identity.token_client(identity.official("identity", "registrar"))
    person = registrar.get(f"/api/v1/identity/persons/{code}/")
    assert person.status_code == 200, person.content
    assert (person.json()["first_name"], person.json()["born"]) == (FIRST, BORN.isoformat())
    judge = identity.token_client(in_camera.judge)
    case = judge.get(f"/api/v1/court/cases/{in_camera.number}/")
    assert case.status_code == 200, case.content
    assert case.json()["title"] == SECRET_TITLE
    assert code in case.content.decode()
    # The aggregates, loaded from the sealed events, hold the plain values.
    assert running(IdentityRegistry).person(code).last_name == LAST
    loaded = running(CourtRegistry).find(Case, case_id(in_camera.number))
    assert loaded is not None
    assert (loaded.title, [party.code for party in loaded.parties]) == (SECRET_TITLE, [code])


def events_of(app: IdentityRegistry | CourtRegistry, aggregate_id: UUID) -> list[Any]:
    """The aggregate's events as the registry reads them from its event store."""
    return [app.mapper.to_domain_event(e) for e in app.recorder.select_events(aggregate_id)]


def test_after_erasure_the_persons_data_does_not_open_in_any_copy(tmp_path: Path) -> None:
    code, _criminal, in_camera = seeded_country()
    person_id = PersonRecord.objects.get(personal_code=code).aggregate_id
    # Four eyes: one registrar asks, another approves.
    identity.run(lambda app: app.request_erasure(code, "retention ended", "first registrar"))
    assert identity.run(lambda app: app.erase_person(code, "registrar", "retention ended"))
    assert running(CourtRegistry).erase_person(code, "judge", "retention ended")
    # The keys are destroyed (the erasure stays visible), their bytes gone.
    assert list(IdentityKey.objects.filter(wrapped__isnull=True).values_list("wrapped")) == [
        (None,)
    ]
    assert CourtKey.objects.filter(wrapped__isnull=True).count() == 1

    # The registries' own event stores no longer open the person's data ...
    registered = events_of(running(IdentityRegistry), person_id)[0]
    assert (registered.personal_code, registered.first_name, registered.born) == (
        None,
        None,
        None,
    )
    case_events = events_of(running(CourtRegistry), case_id(in_camera.number))
    added = next(e for e in case_events if type(e).__name__ == "PartyAdded")
    assert added.code is None
    # ... while the rest of the case, sealed with the case's and the judge's keys, does.
    assert case_events[0].title == SECRET_TITLE
    assert case_events[0].judge == in_camera.judge

    # The population register shows them no more: its rows went with the erasure, reads
    # of the person answer 410, and no table holds their names.
    assert not PersonRecord.objects.filter(aggregate_id=person_id).exists()
    registrar = identity.token_client(identity.official("identity", "registrar"))
    assert registrar.get(f"/api/v1/identity/persons/{code}/").status_code == 404
    with pytest.raises(DataErased):
        running(IdentityRegistry).person(code)
    dump = database_dump()
    for secret in (FIRST, LAST):
        assert not found_in(dump, secret), secret
    # Erasing again completes nothing more and records nothing more.
    assert identity.run(lambda app: app.erase_person(code, "registrar", "again"))
    assert type(events_of(running(IdentityRegistry), person_id)[-1]) is Person.Erased

    # Every copy still holds ciphertext only, and the chain still verifies.
    bundle, exported = full_bundle(tmp_path)
    for secret in (code, FIRST, LAST, BORN.isoformat()):
        assert not found_in(event_tables(), secret), secret
        assert not found_in(exported, secret), secret
    assert verify_main([str(bundle)]) == 0
    call_command("chain", "verify", "--no-progress", stdout=io.StringIO())


def test_keys_are_per_person_and_per_case_and_one_erasure_leaves_the_others() -> None:
    code, criminal, _in_camera = seeded_country()
    other = identity.person("Mari", "Tamm")
    court.add_party(criminal, other, "accused")
    running(CourtRegistry).erase_person(code, "judge", "retention ended")
    loaded = running(CourtRegistry).find(Case, case_id(criminal.number))
    assert loaded is not None
    assert [party.code for party in loaded.parties] == [None, other]
    assert running(IdentityRegistry).person(code).first_name == FIRST
