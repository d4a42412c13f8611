"""Nothing reachable anonymously publishes a person's data (DESIGN §8, issue 14).

A small synthetic country is seeded through the registries' commands and
sealed into final blocks; then every GET path of the committed OpenAPI
schema (and the explorer page) is fetched without credentials, with its path
parameters filled from the seeded data -- every registry log, every ledger
seq, every block height, every company, land unit, case and person -- and
every list followed through its pages. No response body may contain a seeded
person's personal code, full name or birth date, in clear or inside a hex
field (receipts carry event bytes as hex), except the facts the registers
document as public (:data:`registries.common.public.PUBLIC_PEOPLE`, the one
definition docs/privacy.md lists), on the paths that show them: never on
``/api/v1/chain/`` or the explorer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from chain.blocks.models import Block, ConsensusEvidence
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry, MembershipEntry
from chain.verify import verify_receipt
from registries.business.models import CompanyPerson, CompanyRecord
from registries.common.public import PUBLIC_PEOPLE
from registries.court.api.serializers import shows_person_codes
from registries.court.models import CaseRecord, PartyRecord
from registries.identity.models import OrganisationRecord, PersonRecord
from registries.property.models import LandUnitRecord, OwnershipRecord, TransferRecord
from tests.registries.court.helpers import add_party, open_case
from tests.registries.identity.helpers import person, token_client

pytestmark = pytest.mark.usefixtures("event_store")
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
HEX = re.compile(r"(?:[0-9a-f]{2}){16,}")
MAX_PAGES = 20


@dataclass(frozen=True)
class Secret:
    """One personal fact of a seeded person, as it would appear in a body."""

    code: str
    text: str
    what: str


def _secrets() -> list[Secret]:
    """Personal code, full name and birth date of every seeded person."""
    found = []
    for record in PersonRecord.objects.all():
        code = record.personal_code
        found += [
            Secret(code, code, "personal code"),
            Secret(code, f"{record.first_name} {record.last_name}", "name"),
            Secret(code, record.born.isoformat(), "birth date"),
        ]
    return found


def _public_facts() -> dict[str, tuple[set[str], set[str]]]:
    """The people the registers show anyone, by the API path that shows them, with
    which of their facts are public there (``personal code``, ``name``).

    Who is named is read from the seeded records; what of them is public and
    where, from :data:`PUBLIC_PEOPLE`: a company's card (founders and board,
    ADR 0004); the title register's parts I-II (owners, and the parties of
    past transfers with the endorsing notary, whose signature anyone may check);
    in public civil and administrative cases the parties (never in criminal or
    in-camera cases).
    """
    court = set()
    for party in PartyRecord.objects.select_related("case").filter(party_kind="person"):
        if shows_person_codes(party.case):
            court.add(party.code)
    property_codes = set(OwnershipRecord.objects.values_list("owner_code", flat=True))
    for transfer in TransferRecord.objects.all():
        property_codes |= set(transfer.sellers) | {buyer["owner"] for buyer in transfer.buyers}
        property_codes.add(transfer.notary)
    people = {
        "business": set(CompanyPerson.objects.values_list("personal_code", flat=True)),
        "property": property_codes,
        "court": court,
    }
    assert set(people) == set(PUBLIC_PEOPLE), "say whom each public register names"
    facts = {}
    for registry, codes in people.items():
        public = PUBLIC_PEOPLE[registry]
        kinds = {"personal code"} if public.codes else set()
        facts[public.path] = (codes, kinds | ({"name"} if public.names else set()))
    return facts


def _allowed(secret: Secret, where: str, public: dict[str, tuple[set[str], set[str]]]) -> bool:
    """Whether ``where`` may show ``secret``: a public fact on a path that shows it,
    or a personal code the caller put in the URL (echoed back, not revealed)."""
    if secret.what == "personal code" and secret.code in re.findall(r"\d{11}", where):
        return True
    return any(
        secret.code in codes and secret.what in kinds
        for prefix, (codes, kinds) in public.items()
        if where.startswith(prefix)
    )


def test_the_allow_list_admits_public_facts_only_where_their_register_shows_them() -> None:
    founder = Secret("38001010008", "Mari Tamm", "name")
    owner = Secret("49001010007", "Jaan Kask", "name")
    public = {
        PUBLIC_PEOPLE["business"].path: ({founder.code}, {"personal code", "name"}),
        PUBLIC_PEOPLE["property"].path: ({owner.code}, {"personal code"}),
    }
    assert _allowed(founder, "/api/v1/business/companies/10000018/", public)
    assert not _allowed(founder, "/api/v1/chain/logs/business/records/10000018/", public)
    assert not _allowed(founder, "/explorer/", public)
    assert not _allowed(owner, "/api/v1/property/land-units/78401:101:0010/", public)
    assert _allowed(
        Secret(owner.code, owner.code, "personal code"),
        "/api/v1/property/land-units/78401:101:0010/",
        public,
    )


def _haystack(body: bytes) -> str:
    """The body as text, plus every long hex string in it decoded (event bytes)."""
    text = body.decode("utf-8", errors="replace")
    decoded = [
        bytes.fromhex(match).decode("utf-8", errors="replace") for match in HEX.findall(text)
    ]
    return "\n".join([text, *decoded])


def _parameter_values() -> dict[str, list[str]]:
    """Values for each path parameter name, from the seeded data."""
    registries = sorted(settings.RIIK_REGISTRIES)
    return {
        "registry": registries,
        "height": [str(h) for h in Block.objects.values_list("height", flat=True)],
        "id": [str(pk) for pk in ConsensusEvidence.objects.values_list("pk", flat=True)] or ["1"],
        "number": list(CaseRecord.objects.values_list("number", flat=True)),
        "personal_code": list(PersonRecord.objects.values_list("personal_code", flat=True)),
        "commitment": ["0" * 64],
        "key_id": ["00000000"],
        "hearing": ["1"],
        "judgment": ["1"],
        "appeal": ["1"],
        "rank": ["1"],
    }


def _code_values(path: str) -> list[str]:
    """``{code}`` means a company, land unit, organisation, person or patient by its path."""
    if path.startswith("/api/v1/business/"):
        return list(CompanyRecord.objects.values_list("registry_code", flat=True))
    if path.startswith("/api/v1/property/"):
        return list(LandUnitRecord.objects.values_list("cadastral_code", flat=True))
    if path.startswith("/api/v1/identity/organisations/"):
        return list(OrganisationRecord.objects.values_list("registry_code", flat=True))
    return list(PersonRecord.objects.values_list("personal_code", flat=True))


def _urls(path: str) -> Iterator[str]:
    """``path`` with its parameters filled in every way the seeded data allows."""
    names = re.findall(r"{(\w+)}", path)
    if not names:
        yield path
        return
    values = _parameter_values()
    if "identifier" in names:
        # Every record a registry finds by its public identifier (the explorer's lookup).
        identifiers = {
            "business": _code_values("/api/v1/business/"),
            "property": _code_values("/api/v1/property/"),
            "court": values["number"],
        }
        for registry, found in identifiers.items():
            for identifier in found:
                yield path.replace("{registry}", registry).replace("{identifier}", identifier)
        return
    if "registry" in names and "seq" in names:
        # Every entry of every log, through the per-registry seqs.
        for registry, seq in LedgerEntry.objects.values_list("registry", "seq"):
            yield from _urls(path.replace("{registry}", registry).replace("{seq}", str(seq)))
        return
    if "seq" in names:
        for seq in MembershipEntry.objects.values_list("seq", flat=True):
            yield path.replace("{seq}", str(seq))
        return
    if path.endswith("/consistency/"):
        # Every log from its first entry to its full size.
        for registry in values["registry"]:
            size = LedgerEntry.objects.filter(registry=registry).count()
            yield path.replace("{registry}", registry) + f"?first=1&second={size}"
        return
    name = names[0]
    for value in _code_values(path) if name == "code" else values[name]:
        yield from _urls(path.replace(f"{{{name}}}", value, 1))


def _anonymous_get_paths() -> list[str]:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations)


def _fetch_all(client: APIClient, url: str) -> Iterator[tuple[str, bytes]]:
    """The response at ``url`` and, for a paginated list, at each next page."""
    for _ in range(MAX_PAGES):
        cache.clear()  # the anonymous throttle would answer 429 long before the end
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code < 500, (url, response.content[:500])
        yield url, response.content
        try:
            body = response.json()
        except (ValueError, TypeError):
            return
        following = body.get("next") if isinstance(body, dict) else None
        if not following:
            return
        url = following


def _seed_small_country() -> None:
    call_command(
        "demo",
        persons=12,
        companies=4,
        units=4,
        cases=8,
        patients=4,
        seed=14,
        stdout=io.StringIO(),
    )


def test_no_anonymous_endpoint_shows_a_persons_data() -> None:
    _seed_small_country()
    assert Block.objects.filter(level__in=["final", "witnessed"]).exists()
    secrets = _secrets()
    # Namesakes: a public founder's name is also the name of someone else, and
    # showing it is no leak of the other (the synthetic population repeats names).
    namesakes: dict[tuple[str, str], list[Secret]] = {}
    for secret in secrets:
        namesakes.setdefault((secret.what, secret.text), []).append(secret)
    public = _public_facts()
    client = APIClient()
    leaks: list[str] = []
    fetched = 0
    for path in [*_anonymous_get_paths(), "/explorer/"]:
        for url in _urls(path):
            for where, body in _fetch_all(client, url):
                fetched += 1
                haystack = _haystack(body)
                # A code the caller put in the URL is echoed back, not revealed.
                for secret in secrets:
                    if secret.text in haystack and not any(
                        _allowed(same, where, public)
                        for same in namesakes[(secret.what, secret.text)]
                    ):
                        leaks.append(f"{where}: {secret.what} of {secret.code}")
    assert fetched > 100
    assert not leaks, f"{len(leaks)} leaks, e.g.:\n" + "\n".join(sorted(set(leaks))[:40])


def test_the_subject_of_an_entry_gets_its_full_receipt_through_me_and_no_one_else() -> None:
    accused = person("Mari", "Tamm")
    case = open_case("criminal", title="Theft")
    add_party(case, accused, "accused")
    seal_pending()
    case_id = CaseRecord.objects.get(number=case.number).aggregate_id
    seq = (
        LedgerEntry.objects.filter(registry="court", originator_id=case_id).order_by("-seq")[0].seq
    )
    url = f"/api/v1/me/receipts/court/{seq}/"
    assert APIClient().get(url).status_code == 401
    stranger = token_client(person("Jaan", "Kask")).get(url)
    assert stranger.status_code == 403
    assert stranger.json()["detail"] == f"registry court entry {seq} is not about you"
    citizen = token_client(accused)
    mine = citizen.get(url)
    assert mine.status_code == 200, mine.content
    receipt = mine.json()
    # The payload is the stored event, its personal data sealed; the subject gets it opened.
    assert accused not in bytes.fromhex(receipt["entry"]["payload"]).decode()
    assert receipt["opened"]["code"] == accused
    assert "payload hash and entry hash OK" in verify_receipt(receipt)[1]
    public = APIClient().get(f"/api/v1/chain/logs/court/entries/{seq}/receipt/").json()
    assert "payload" not in public["entry"]
    assert citizen.get("/api/v1/me/receipts/court/9999/").status_code == 404
