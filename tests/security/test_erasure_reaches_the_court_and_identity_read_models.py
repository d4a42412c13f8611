"""Issue 14 item 1 (DESIGN §8): an erasure reaches the read models too. An identity
registrar's ``erase-person`` command erases a person in the identity, court and health
registries; the court's read models then name them only as ``erased:<subject>``, in the
same transaction as their key is destroyed, so no table -- and no backup of it -- holds
their code, names or birth date, while the cases they were party to still read."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.db import connection

from registries.common.application import running
from registries.court.application import CourtRegistry
from registries.court.models import (
    ERASED,
    AppealRecord,
    CaseRecord,
    CovertAccessRecord,
    JudgmentRecord,
    PartyRecord,
)
from registries.court.models import PersonKey as CourtKey
from registries.health import keystore as health_keys
from tests.registries.court import helpers as court
from tests.registries.health.test_erasure import found_in
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

FIRST, LAST = "Zebulon", "Quixotevski"
BORN = date(1957, 11, 23)
PERSONS = "/api/v1/identity/persons/"


def court_and_identity_tables() -> bytes:
    """Every column of every row of the court's and the identity registry's tables."""
    dump = io.BytesIO()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if not table.startswith(("court_", "identity_")):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        dump.write(bytes(value))
                    else:
                        dump.write(str(value).encode())
                    dump.write(b"\x1f")
    return dump.getvalue()


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
    registrar = identity.token_client(identity.official("identity", "registrar"))
    response = registrar.post(f"{PERSONS}{code}/erasure/", {"reason": reason}, format="json")
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
