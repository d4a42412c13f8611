"""Issue 14 item 1 (DESIGN §8): an erasure reaches the read models too. One identity
registrar asks for a person's erasure and a different one approves it (``erase-person``,
four eyes); that erases them in the identity, court, health and tracker registries; the
court's and the tracker's read models then name them only as ``erased:<pseudonym>``, in
the same transaction as the scrub of each registry, so no table of any registry -- and no
backup of it -- holds their code, names or birth date, while the cases they were party to
still read and the tracker still counts who read what."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection

from registries.common.application import running
from registries.court.application import CourtRegistry
from registries.court.models import (
    ERASED,
    AppealRecord,
    CaseRecord,
    CovertAccessRecord,
    EnforcementRecord,
    JudgmentRecord,
    PartyRecord,
)
from registries.court.models import PersonKey as CourtKey
from registries.health import keystore as health_keys
from registries.tracker.application import TrackerRegistry
from registries.tracker.erasure import pseudonym_of
from registries.tracker.models import CovertCommitmentRecord, ReadRecord, SealedCovertRead
from registries.tracker.services import record_read
from tests.registries.court import helpers as court
from tests.registries.health.test_erasure import found_in
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

FIRST, LAST = "Zebulon", "Quixotevski"
BORN = date(1957, 11, 23)
PERSONS = "/api/v1/identity/persons/"


def court_and_identity_tables(tables: Iterable[str] | None = None) -> bytes:
    """Every column of every row of these tables (the court's and the identity
    registry's, event stores included, unless told)."""
    if tables is None:
        tables = [
            table
            for table in connection.introspection.table_names()
            if table.startswith(("court_", "identity_"))
        ]
    dump = io.BytesIO()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        dump.write(bytes(value))
                    else:
                        dump.write(str(value).encode())
                    dump.write(b"\x1f")
    return dump.getvalue()


def model_tables() -> bytes:
    """Every column of every row of every read model of every registry, and the data
    tracker's event store (sealed per person like identity's and court's, ADR 0081)."""
    return court_and_identity_tables(
        [
            *(
                model._meta.db_table
                for config in apps.get_app_configs()
                if config.name.startswith("registries.")
                for model in config.get_models()
            ),
            "tracker_events",
        ]
    )


def seeded_case() -> tuple[str, court.CaseSetup]:
    """A person accused in a public criminal case, who appealed its judgment, whose data
    a covert access of the case may read, and who has health data."""
    code = identity.person(FIRST, LAST, code=identity.new_code(born=BORN, sex="M"))
    case = court.open_case("criminal", title="Theft of a bicycle")
    court.add_party(case, code, "accused")
    judgment = court.judgment(case, "conviction", given_on=court.TODAY - timedelta(days=3))
    court.run(lambda app: app.file_appeal(case.number, judgment, code, "Innocent", court.TODAY))
    court.run(lambda app: app.authorise_covert_access(case.number, [code], ["health"], case.judge))
    health_keys.key_for(code, "doctor", "test: the person has health data")
    return code, case


def erase(code: str, reason: str = "the person's request under GDPR art. 17") -> int:
    """One registrar asks for the erasure, a second approves it: the approval's status."""
    asking = identity.token_client(identity.official("identity", "registrar"))
    asking.post(f"{PERSONS}{code}/erasure/request/", {"reason": reason}, format="json")
    approving = identity.token_client(identity.official("identity", "registrar"))
    response = approving.post(f"{PERSONS}{code}/erasure/", {"reason": reason}, format="json")
    return int(response.status_code)


def test_after_erasure_no_court_or_identity_table_names_the_person() -> None:
    code, case = seeded_case()
    before = court_and_identity_tables()
    # The scan finds the person where the read models kept them (the scan works).
    assert found_in(before, code)
    assert found_in(before, FIRST)
    assert CovertAccessRecord.objects.filter(person_code=code).exists()

    assert erase(code) == 200

    after = court_and_identity_tables()
    for secret in (code, FIRST, LAST, BORN.isoformat()):
        assert not found_in(after, secret), secret
    pseudonym = ERASED + running(CourtRegistry).keystore.subject_of(code)
    assert PartyRecord.objects.get(case_id=case.number).code == pseudonym
    assert AppealRecord.objects.get(case_id=case.number).appellant_code == pseudonym
    assert not CovertAccessRecord.objects.filter(case_number=case.number).exists()
    assert health_keys.STORE.is_destroyed(code)
    assert CourtKey.objects.filter(wrapped__isnull=True).count() == 1


def test_the_case_still_reads_and_shows_the_person_as_erased() -> None:
    code, case = seeded_case()
    assert erase(code) == 200
    response = identity.token_client(case.judge).get(f"/api/v1/court/cases/{case.number}/")
    assert response.status_code == 200, response.content
    assert code not in response.content.decode()
    assert [party["code"] for party in response.json()["parties"]] == [
        ERASED + running(CourtRegistry).keystore.subject_of(code)
    ]


def test_erasing_again_is_gone_and_only_registrars_erase() -> None:
    code, _case = seeded_case()
    citizen = identity.token_client(code)
    response = citizen.post(f"{PERSONS}{code}/erasure/", {"reason": "mine"}, format="json")
    assert response.status_code == 403
    assert erase(code, reason="") == 400
    assert erase(code) == 200
    assert erase(code) == 410


def test_erasing_a_judge_scrubs_the_cases_and_judgments_they_gave() -> None:
    case = court.open_case()
    court.judgment(case)
    running(CourtRegistry).erase_person(case.judge, "registrar", "retention ended")
    pseudonym = ERASED + running(CourtRegistry).keystore.subject_of(case.judge)
    assert CaseRecord.objects.get(number=case.number).judge_code == pseudonym
    assert JudgmentRecord.objects.get(case_id=case.number).judge_code == pseudonym


def test_an_erasure_takes_a_request_and_a_different_registrars_approval() -> None:
    code, case = seeded_case()
    asking_code = identity.official("identity", "registrar")
    asking = identity.token_client(asking_code)
    why = {"reason": "the person's request under GDPR art. 17"}
    # Nobody asked yet: nothing to approve.
    problem = asking.post(f"{PERSONS}{code}/erasure/", why, format="json")
    assert problem.status_code == 404, problem.content
    assert problem["Content-Type"] == "application/problem+json"

    response = asking.post(f"{PERSONS}{code}/erasure/request/", why, format="json")
    assert response.status_code == 200, response.content
    record = response.json()
    assert record["erasure_requested_by"] == asking_code
    assert record["erasure_reason"] == why["reason"]
    assert record["erasure_requested_at"]
    again = asking.post(f"{PERSONS}{code}/erasure/request/", why, format="json")
    assert again.status_code == 409

    # A self-approval is refused, and nothing anywhere is erased.
    refused = asking.post(f"{PERSONS}{code}/erasure/", why, format="json")
    assert refused.status_code == 409, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["title"] == "Four eyes: a second registrar must confirm"
    assert asking_code in refused.json()["detail"]
    assert not running(CourtRegistry).keystore.is_destroyed(code)
    assert not health_keys.STORE.is_destroyed(code)
    assert PartyRecord.objects.get(case_id=case.number).code == code
    assert asking.get(f"{PERSONS}{code}/").status_code == 200

    approving_code = identity.official("identity", "registrar")
    approving = identity.token_client(approving_code)
    response = approving.post(f"{PERSONS}{code}/erasure/", {"reason": "approved"}, format="json")
    assert response.status_code == 200, response.content
    assert asking.get(f"{PERSONS}{code}/").status_code == 404  # no longer in the register
    # Who asked, why, and who approved outlive the person's events, in the sealed audit
    # trail of their destroyed identity key.
    from registries.common.sealing import record_name
    from registries.identity.application import IdentityRegistry

    app = running(IdentityRegistry)
    (destroyed,) = [
        line
        for line in app.keystore.audit_trail(record_name(app._person(code).id))
        if line["action"] == "destroy"
    ]
    assert destroyed["actor"] == approving_code
    assert asking_code in destroyed["purpose"]
    assert why["reason"] in destroyed["purpose"]


def test_after_erasure_no_table_of_any_registry_names_the_person() -> None:
    code, case = seeded_case()
    doctor = identity.official("health", "doctor")
    # The tracker: reads of the person's data, a read by them, free text quoting their
    # code, and a covert read of their data under the case.
    tracked = [
        (doctor, [code], f"health record of {code}", "treatment"),
        (code, [doctor], "health record", f"asked by {code}"),
        (doctor, [code, doctor, case.judge], "case card", "hearing"),
    ]
    for reader, subjects, what, purpose in tracked:
        record_read(reader=reader, subjects=subjects, registry="health", what=what, purpose=purpose)
    record_read(
        reader=doctor,
        subjects=[code],
        registry="health",
        what="health record",
        purpose="investigation",
        investigation=case.number,
    )
    assert SealedCovertRead.objects.count() == 1
    # The court: what a judgment caused in another registry, aimed at the person.
    EnforcementRecord.objects.create(
        process="court-orders",
        cause=f"court:{case.number}:1",
        case_number=case.number,
        judgment=1,
        court_seq=1,
        registry="identity",
        action="restrict",
        target=code,
        outcome=EnforcementRecord.REFUSED,
        detail=f"person {code} has no such right",
    )
    reads = ReadRecord.objects.count()
    assert found_in(model_tables(), code)

    assert erase(code) == 200

    after = model_tables()
    for secret in (code, FIRST, LAST, BORN.isoformat()):
        assert not found_in(after, secret), secret
    # The tracker keeps its accountability: every line, the erased person pseudonymous.
    pseudonym = pseudonym_of(code)
    assert ReadRecord.objects.count() == reads
    assert ReadRecord.objects.filter(subject_code=pseudonym).count() == 2
    assert ReadRecord.objects.filter(reader_code=pseudonym).count() == 1
    assert ReadRecord.objects.filter(reader_code=doctor).count() == 3
    assert not SealedCovertRead.objects.exists()
    assert CovertCommitmentRecord.objects.count() == 1  # the covert read's trail stays
    # The tracker's own events: the person's code and what the reads naming them said
    # no longer open; the other persons of a read still do.
    tracker = running(TrackerRegistry)
    opened = [
        vars(event)["record"]
        for read in ReadRecord.objects.values_list("aggregate_id", flat=True).distinct()
        for event in tracker.domain_events(list(tracker.recorder.select_events(read)))
    ]
    assert len(opened) >= len(tracked)  # and those the seeding tracked
    for record in opened:
        assert (record["what"], record["purpose"]) == (None, None)
    assert {None, doctor, case.judge} == {s for r in opened for s in r["subjects"]} | {
        r["reader"] for r in opened
    }
    enforcement = EnforcementRecord.objects.get()
    assert enforcement.target.startswith(ERASED)
    assert enforcement.detail == f"person {enforcement.target} has no such right"


def test_a_registrar_withdraws_an_erasure_request_on_the_chain_but_not_after_the_erasure() -> None:
    from chain.ledger.models import LedgerEntry

    code, case = seeded_case()
    asking = identity.token_client(identity.official("identity", "registrar"))
    withdrawing = identity.token_client(identity.official("identity", "registrar"))
    why = {"reason": "asked for the wrong person"}
    # Nothing asked for: nothing to withdraw.
    problem = withdrawing.post(f"{PERSONS}{code}/erasure/withdrawal/", why, format="json")
    assert problem.status_code == 404, problem.content
    assert problem["Content-Type"] == "application/problem+json"
    asking.post(f"{PERSONS}{code}/erasure/request/", {"reason": "GDPR art. 17"}, format="json")
    # Only identity registrars withdraw; a reason is needed.
    judge = identity.token_client(case.judge)
    assert judge.post(f"{PERSONS}{code}/erasure/withdrawal/", why).status_code == 403
    blank = withdrawing.post(f"{PERSONS}{code}/erasure/withdrawal/", {"reason": " "})
    assert blank.status_code == 400, blank.content

    response = withdrawing.post(f"{PERSONS}{code}/erasure/withdrawal/", why, format="json")
    assert response.status_code == 200, response.content
    card = response.json()
    assert (card["erasure_requested_by"], card["erasure_reason"]) == ("", "")
    assert card["history"][-1]["event"] == "ErasureWithdrawn"
    assert LedgerEntry.objects.filter(registry="identity", topic__endswith="ErasureWithdrawn")
    # Sealed with the person's key like every event of theirs: the event table is ciphertext.
    assert not found_in(court_and_identity_tables(["identity_events"]), why["reason"])
    # Withdrawn: there is nothing to approve, and nothing was erased.
    approving = identity.token_client(identity.official("identity", "registrar"))
    assert approving.post(f"{PERSONS}{code}/erasure/", why, format="json").status_code == 404
    assert not health_keys.STORE.is_destroyed(code)

    assert erase(code) == 200
    gone = withdrawing.post(f"{PERSONS}{code}/erasure/withdrawal/", why, format="json")
    assert gone.status_code == 410, gone.content
    assert gone["Content-Type"] == "application/problem+json"
