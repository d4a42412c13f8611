"""The identity registry's REST API over real HTTP (DRF's APIClient)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.common.application import running
from registries.common.codes import personal_code, registry_code
from registries.identity import services
from registries.identity.application import IdentityRegistry
from registries.identity.models import PersonRecord
from tests.registries.access.citizens import signature_for
from tests.registries.identity.helpers import (
    new_code,
    official,
    organisation,
    person,
    raw_public,
    run,
    token_client,
)

pytestmark = pytest.mark.usefixtures("event_store")

BASE = "/api/v1/identity/"
PERSONS = f"{BASE}persons/"
PROBLEM = "application/problem+json"
VALID = personal_code(date(1980, 5, 17), "M", 12)
WRONG_CHECK_DIGIT = VALID[:-1] + str((int(VALID[-1]) + 1) % 10)


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registrar() -> APIClient:
    """An identity registrar: a user named by their personal code, appointed."""
    return token_client(official("identity", "registrar"))


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    problem = dict(response.json())
    assert problem["type"] == f"https://riik.example/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["instance"] == response.wsgi_request.path
    return problem


def register(client: APIClient, code: str | None = None, **changes: Any) -> dict[str, Any]:
    body = {"personal_code": code or new_code(), "first_name": "Mari", "last_name": "Tamm"}
    body.update(changes)
    response = client.post(PERSONS, body, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


# Persons: who may see whom --------------------------------------------------------------------


def test_anonymous_cannot_see_persons(anonymous: APIClient) -> None:
    code = person()
    assert_problem(anonymous.get(f"{PERSONS}{code}/"), 401, "not-authenticated")
    assert_problem(anonymous.get(f"{PERSONS}me/"), 401, "not-authenticated")


def test_a_citizen_cannot_see_another_person_and_learns_nothing() -> None:
    me = person("Kadri", "Kask")
    other = person("Mari", "Tamm")
    citizen = token_client(me)
    existing = assert_problem(citizen.get(f"{PERSONS}{other}/"), 403, "permission-denied")
    missing = assert_problem(citizen.get(f"{PERSONS}{new_code()}/"), 403, "permission-denied")
    malformed = assert_problem(
        citizen.get(f"{PERSONS}{WRONG_CHECK_DIGIT}/"), 403, "permission-denied"
    )
    for problem in (existing, missing, malformed):
        del problem["instance"]
    assert existing == missing == malformed
    assert "Tamm" not in str(existing)
    assert "/persons/me/" in existing["detail"]


def test_a_citizen_sees_themselves_at_me_and_at_their_code() -> None:
    me = person("Kadri", "Kask")
    citizen = token_client(me)
    mine = citizen.get(f"{PERSONS}me/")
    assert mine.status_code == 200
    assert mine.json()["personal_code"] == me
    assert mine.json()["last_name"] == "Kask"
    assert citizen.get(f"{PERSONS}{me}/").json() == mine.json()


def test_me_for_a_user_who_is_not_a_person_is_a_404_problem() -> None:
    problem = assert_problem(token_client("clerk").get(f"{PERSONS}me/"), 404, "not-found")
    assert "not a personal code" in problem["detail"]
    unregistered = new_code()
    problem = assert_problem(token_client(unregistered).get(f"{PERSONS}me/"), 404, "not-found")
    assert problem["detail"] == f"no person with personal code {unregistered}"


def test_an_official_of_any_role_sees_a_person_but_never_the_aggregate_id() -> None:
    code = person("Mari", "Tamm")
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    pharmacist = token_client(official("health", "pharmacist"))
    response = pharmacist.get(f"{PERSONS}{code}/")
    assert response.status_code == 200
    card = response.json()
    assert set(card) == {
        "personal_code",
        "first_name",
        "last_name",
        "born",
        "sex",
        "alive",
        "died_on",
        "erasure_requested_by",
        "erasure_requested_at",
        "erasure_reason",
        "keys",
        "roles",
        "ledger",
        "history",
    }
    assert (card["born"], card["sex"], card["alive"]) == ("1980-05-17", "M", True)
    (shown_key,) = card["keys"]
    assert shown_key["status"] == "active"
    assert shown_key["public_key"] == raw_public(key).hex()
    aggregate_id = PersonRecord.objects.get(personal_code=code).aggregate_id
    assert str(aggregate_id) not in response.content.decode()
    assert aggregate_id.hex not in response.content.decode()
    assert [h["event"] for h in card["history"]] == ["Registered", "KeyRegistered"]


def test_an_official_gets_400_for_a_malformed_code_and_404_for_an_unknown_one() -> None:
    judge = token_client(official("court", "judge"))
    problem = assert_problem(
        judge.get(f"{PERSONS}{WRONG_CHECK_DIGIT}/"), 400, "invalid-personal-code"
    )
    assert "check digit is wrong" in problem["detail"]
    impossible = "38002301230"  # 30 February; the date is checked before the check digit
    problem = assert_problem(judge.get(f"{PERSONS}{impossible}/"), 400, "invalid-personal-code")
    assert "birth date does not exist" in problem["detail"]
    unknown = new_code()
    problem = assert_problem(judge.get(f"{PERSONS}{unknown}/"), 404, "not-found")
    assert problem["detail"] == f"no person with personal code {unknown}"


# Person commands ---------------------------------------------------------------------------


def test_register_answers_201_with_the_record_and_its_location(registrar: APIClient) -> None:
    code = new_code(date(1975, 2, 3), "F")
    before = entries()
    response = registrar.post(
        PERSONS, {"personal_code": code, "first_name": "Ülle", "last_name": "Õun"}, format="json"
    )
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver{PERSONS}{code}/"
    card = response.json()
    assert (card["born"], card["sex"], card["first_name"]) == ("1975-02-03", "F", "Ülle")
    assert card["ledger"]["registry"] == "identity"
    assert entries() == before + 2  # the person and the code index entry


def test_duplicate_person_is_a_409_problem_and_writes_nothing(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    before = entries()
    response = registrar.post(
        PERSONS, {"personal_code": code, "first_name": "Muu", "last_name": "Isik"}, format="json"
    )
    problem = assert_problem(response, 409, "conflict")
    assert f"personal code {code} is already registered" in problem["detail"]
    assert entries() == before


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (WRONG_CHECK_DIGIT, "check digit is wrong"),
        ("38002300120", "birth date does not exist"),
        ("98005170125", "first digit must be 1-8"),
        ("3800517", "must be exactly 11 digits"),
    ],
)
def test_an_invalid_code_is_a_400_problem_naming_the_field_and_the_part(
    registrar: APIClient, code: str, why: str
) -> None:
    before = entries()
    response = registrar.post(
        PERSONS, {"personal_code": code, "first_name": "Mari", "last_name": "Tamm"}, format="json"
    )
    problem = assert_problem(response, 400, "invalid-command")
    assert why in problem["detail"]
    assert why in problem["errors"]["personal_code"][0]
    assert entries() == before


def test_validation_errors_name_every_bad_field(registrar: APIClient) -> None:
    response = registrar.post(
        PERSONS, {"personal_code": 38005170125, "first_name": ""}, format="json"
    )
    problem = assert_problem(response, 400, "validation-error")
    assert set(problem["errors"]) == {"personal_code", "first_name", "last_name"}


def test_name_change_and_death(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    response = registrar.post(
        f"{PERSONS}{code}/name/", {"first_name": "Mari", "last_name": "Kask"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["last_name"] == "Kask"
    response = registrar.post(f"{PERSONS}{code}/death/", {"died_on": "2025-01-02"}, format="json")
    assert response.status_code == 200
    assert (response.json()["alive"], response.json()["died_on"]) == (False, "2025-01-02")
    before = entries()
    response = registrar.post(f"{PERSONS}{code}/death/", {"died_on": "2025-01-03"}, format="json")
    assert "already recorded" in assert_problem(response, 409, "conflict")["detail"]
    assert entries() == before


def test_keys_register_rotate_revoke_by_a_registrar(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    response = registrar.post(
        f"{PERSONS}{code}/keys/", {"public_key": raw_public(first).hex()}, format="json"
    )
    assert response.status_code == 201
    (key,) = response.json()["keys"]
    response = registrar.post(
        f"{PERSONS}{code}/keys/rotation/",
        {"public_key": raw_public(second).hex().upper()},
        format="json",
    )
    assert response.status_code == 201
    assert [k["status"] for k in response.json()["keys"]] == ["rotated", "active"]
    response = registrar.post(
        f"{PERSONS}{code}/keys/{key['key_id']}/revocation/", {"reason": "stolen"}, format="json"
    )
    assert response.status_code == 200
    revoked, active = response.json()["keys"]
    assert (revoked["status"], revoked["revoked_reason"]) == ("revoked", "stolen")
    assert active["status"] == "active"


def test_a_citizen_manages_their_own_keys_but_not_anyone_elses() -> None:
    me, other = person(), person()
    citizen = token_client(me)
    key = Ed25519PrivateKey.generate()
    # The first key comes from the registrar in person; the holder signs every
    # later change with their current key (a token alone is not enough).
    run(lambda app: app.register_key(me, raw_public(key), "registrar"))
    assert services.verify_signature(me, b"hello", key.sign(b"hello"))
    newer = Ed25519PrivateKey.generate()
    body: dict[str, Any] = {"public_key": raw_public(newer).hex()}
    rotation = {"name": "identity:person-key-rotation", "kwargs": {"code": me}}
    body["signatures"] = [signature_for(key, me, "identity", "rotate-key", rotation, dict(body))]
    assert citizen.post(f"{PERSONS}{me}/keys/rotation/", body, format="json").status_code == 201
    before = entries()
    response = citizen.post(
        f"{PERSONS}{other}/keys/", {"public_key": raw_public(key).hex()}, format="json"
    )
    problem = assert_problem(response, 403, "permission-denied")
    assert (
        problem["detail"]
        == "only the key holder or a registrar of the identity registry may do this"
    )
    response = citizen.post(
        f"{PERSONS}{me}/name/", {"first_name": "A", "last_name": "B"}, format="json"
    )
    assert_problem(response, 403, "permission-denied")
    assert entries() == before


def test_a_malformed_public_key_is_a_400_problem(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    before = entries()
    for bad in ["abcd", "zz" * 32, 12345]:
        response = registrar.post(f"{PERSONS}{code}/keys/", {"public_key": bad}, format="json")
        assert list(assert_problem(response, 400, "validation-error")["errors"]) == ["public_key"]
    assert entries() == before


def test_commands_need_authentication_and_the_registrar_role(anonymous: APIClient) -> None:
    before = entries()
    body = {"personal_code": new_code(), "first_name": "Mari", "last_name": "Tamm"}
    response = anonymous.post(PERSONS, body, format="json")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == "Token"
    business = token_client(official("business", "registrar"))
    before = entries()
    problem = assert_problem(business.post(PERSONS, body, format="json"), 403, "permission-denied")
    assert problem["detail"] == "only a registrar of the identity registry may do this"
    assert entries() == before


def test_a_superuser_does_not_act_as_a_registrar() -> None:
    # The first registrars come from the operator's bootstrap (manage.py bootstrap_registrar).
    admin = token_client("admin", superuser=True)
    before = entries()
    response = admin.post(
        PERSONS,
        {"personal_code": new_code(), "first_name": "Esimene", "last_name": "Ametnik"},
        format="json",
    )
    assert_problem(response, 403, "permission-denied")
    assert entries() == before


# Officials ------------------------------------------------------------------------------------


def test_appoint_and_dismiss_an_official(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    court = organisation("court")
    body = {"personal_code": code, "registry": "court", "role": "judge", "organisation_code": court}
    response = registrar.post(f"{BASE}officials/", body, format="json")
    assert response.status_code == 201
    second = token_client(official("identity", "registrar"))  # four eyes
    assert second.post(f"{BASE}officials/confirmation/", body, format="json").status_code == 200
    assert services.has_role(code, "court", "judge")
    roles = registrar.get(f"{PERSONS}{code}/").json()["roles"]
    assert [(r["registry"], r["role"], r["organisation_code"]) for r in roles] == [
        ("court", "judge", court)
    ]
    before = entries()
    problem = assert_problem(
        registrar.post(f"{BASE}officials/", body, format="json"), 409, "conflict"
    )
    assert "already a judge of the court registry" in problem["detail"]
    assert entries() == before
    response = registrar.post(f"{BASE}officials/dismissal/", body, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["ended_seq"] > response.json()["appointed_seq"]
    assert not services.has_role(code, "court", "judge")
    problem = assert_problem(
        registrar.post(f"{BASE}officials/dismissal/", body, format="json"), 404, "not-found"
    )
    assert "is not a judge of the court registry" in problem["detail"]


def test_a_role_that_does_not_fit_the_registry_is_a_400_problem(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    before = entries()
    response = registrar.post(
        f"{BASE}officials/",
        {"personal_code": code, "registry": "business", "role": "judge"},
        format="json",
    )
    problem = assert_problem(response, 400, "invalid-command")
    assert problem["errors"] == {
        "role": ["a judge acts in the court registry, not in the business registry"]
    }
    response = registrar.post(
        f"{BASE}officials/",
        {"personal_code": code, "registry": "tax", "role": "judge"},
        format="json",
    )
    assert list(assert_problem(response, 400, "validation-error")["errors"]) == ["registry"]
    assert entries() == before


def test_appointing_an_unknown_person_is_a_404_problem(registrar: APIClient) -> None:
    unknown = new_code()
    response = registrar.post(
        f"{BASE}officials/",
        {"personal_code": unknown, "registry": "health", "role": "doctor"},
        format="json",
    )
    assert assert_problem(response, 404, "not-found")["detail"] == (
        f"no person with personal code {unknown}"
    )


# Organisations ---------------------------------------------------------------------------------


def test_organisations_are_public_to_search_and_read(
    registrar: APIClient, anonymous: APIClient
) -> None:
    code = registry_code(123_456, 1)
    response = registrar.post(
        f"{BASE}organisations/",
        {"registry_code": code, "name": "Põhjapank AS", "kind": "bank"},
        format="json",
    )
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver{BASE}organisations/{code}/"
    court = organisation("court", "Harju Maakohus")

    def codes(query: str) -> list[str]:
        response = anonymous.get(f"{BASE}organisations/{query}")
        assert response.status_code == 200
        return [o["registry_code"] for o in response.json()["results"]]

    assert codes("") == [court, code]
    assert codes("?q=PÕHJA") == [code]
    assert codes(f"?q={court}") == [court]
    assert codes("?kind=court") == [court]
    assert codes("?q=&kind=") == [court, code]
    card = anonymous.get(f"{BASE}organisations/{code}/").json()
    assert (card["name"], card["kind"]) == ("Põhjapank AS", "bank")
    assert [h["event"] for h in card["history"]] == ["Registered"]


def test_organisation_problems(registrar: APIClient, anonymous: APIClient) -> None:
    problem = assert_problem(
        anonymous.get(f"{BASE}organisations/1234/"), 400, "invalid-registry-code"
    )
    assert "must be exactly 8 digits" in problem["detail"]
    unknown = registry_code(999_998, 1)
    assert assert_problem(anonymous.get(f"{BASE}organisations/{unknown}/"), 404, "not-found")
    body = {"registry_code": unknown, "name": "Pank AS", "kind": "bank"}
    assert_problem(
        anonymous.post(f"{BASE}organisations/", body, format="json"), 401, "not-authenticated"
    )
    assert registrar.post(f"{BASE}organisations/", body, format="json").status_code == 201
    before = entries()
    problem = assert_problem(
        registrar.post(f"{BASE}organisations/", body, format="json"), 409, "conflict"
    )
    assert f"organisation {unknown} is already registered" in problem["detail"]
    bad = {**body, "registry_code": unknown[:-1] + str((int(unknown[-1]) + 1) % 10)}
    problem = assert_problem(
        registrar.post(f"{BASE}organisations/", bad, format="json"), 400, "invalid-command"
    )
    assert "check digit is wrong" in problem["errors"]["registry_code"][0]
    assert entries() == before


def test_the_recorded_actor_is_the_officials_username(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    app = running(IdentityRegistry)
    events = [
        app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)
    ]
    mine = [e for e in events if getattr(e, "personal_code", None) == code]
    (registered,) = mine
    registrar_code = PersonRecord.objects.exclude(personal_code=code).get().personal_code
    assert registered.actor == registrar_code  # type: ignore[attr-defined]


def test_the_schema_documents_the_identity_endpoints(anonymous: APIClient) -> None:
    schema = anonymous.get("/api/schema/").content.decode()
    for path in [
        "/api/v1/identity/persons/",
        "/api/v1/identity/persons/me/",
        "/api/v1/identity/persons/{code}/keys/{key_id}/revocation/",
        "/api/v1/identity/officials/dismissal/",
        "/api/v1/identity/organisations/{code}/",
    ]:
        assert f"{path}:" in schema, path


# Representatives of organisations --------------------------------------------------------------


def test_registrar_appoints_lists_and_removes_a_representative(registrar: APIClient) -> None:
    code = register(registrar, first_name="Peeter", last_name="Peaarst")["personal_code"]
    hospital = organisation("hospital", "Põhja Haigla")
    url = f"{BASE}organisations/{hospital}/representatives/"
    response = registrar.post(
        url, {"personal_code": code, "title": "chief executive"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"http://testserver{url}{code}/"
    body = response.json()
    assert (body["personal_code"], body["first_name"], body["title"], body["active"]) == (
        code,
        "Peeter",
        "chief executive",
        True,
    )
    assert body["ledger"]["seq"] == body["appointed_seq"]
    assert registrar.get(response["Location"]).json() == body
    assert [r["personal_code"] for r in registrar.get(url).json()] == [code]

    before = entries()
    problem = assert_problem(
        registrar.post(url, {"personal_code": code, "title": "director"}, format="json"),
        409,
        "conflict",
    )
    assert "already represents" in problem["detail"]
    assert entries() == before

    removed = registrar.post(f"{url}{code}/removal/", format="json")
    assert removed.status_code == 200, removed.content
    assert removed.json()["active"] is False
    assert removed.json()["ended_seq"] > removed.json()["appointed_seq"]
    assert_problem(registrar.post(f"{url}{code}/removal/", format="json"), 404, "not-found")


def test_representative_commands_are_refused_with_problems(registrar: APIClient) -> None:
    code = register(registrar)["personal_code"]
    company = organisation("company", "Pagar OÜ")
    court = organisation("court")
    before = entries()
    problem = assert_problem(
        registrar.post(
            f"{BASE}organisations/{company}/representatives/",
            {"personal_code": code, "title": "director"},
            format="json",
        ),
        400,
        "invalid-command",
    )
    assert "represented by its management board" in problem["detail"]
    unknown = registry_code(999_997, 7)
    assert_problem(
        registrar.post(
            f"{BASE}organisations/{unknown}/representatives/",
            {"personal_code": code, "title": "director"},
            format="json",
        ),
        404,
        "not-found",
    )
    assert_problem(
        registrar.post(
            f"{BASE}organisations/1234/representatives/",
            {"personal_code": code, "title": "director"},
            format="json",
        ),
        400,
        "invalid-registry-code",
    )
    assert_problem(
        registrar.post(
            f"{BASE}organisations/{court}/representatives/",
            {"personal_code": code, "title": ""},
            format="json",
        ),
        400,
        "validation-error",
    )
    assert_problem(
        registrar.get(f"{BASE}organisations/{court}/representatives/{code}/"), 404, "not-found"
    )
    assert entries() == before


def test_only_identity_registrars_see_or_appoint_representatives(anonymous: APIClient) -> None:
    court = organisation("court")
    code = person()
    url = f"{BASE}organisations/{court}/representatives/"
    data = {"personal_code": code, "title": "chairman of the court"}
    others = (token_client(code), token_client(official("business", "registrar")))
    before = entries()
    assert_problem(anonymous.get(url), 401, "not-authenticated")
    assert_problem(anonymous.post(url, data, format="json"), 401, "not-authenticated")
    for other in others:
        assert_problem(other.get(url), 403, "permission-denied")
        assert_problem(other.post(url, data, format="json"), 403, "permission-denied")
        assert_problem(other.post(f"{url}{code}/removal/"), 403, "permission-denied")
    assert entries() == before
