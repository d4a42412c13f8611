"""``manage.py demo``: every block witnessed, tokens printed whole, the guides' cast written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from chain.blocks.models import WITNESSED, Block
from registries.access.tokens import token_digest
from registries.business.models import CompanyRecord
from registries.common.models import ApiToken
from registries.court.models import CaseRecord
from registries.identity.demo import OFFICIALS
from registries.identity.models import AppointmentRecord, PersonRecord, PublicKeyRecord
from registries.property.models import LandUnitRecord, OwnershipRecord, TransferApplicationRecord

pytestmark = pytest.mark.usefixtures("event_store")


@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_STEPWISE=True)
def test_demo_on_a_stepwise_devnet_ends_with_every_block_witnessed() -> None:
    call_command("demo", persons=5, companies=3, seed=3, stdout=io.StringIO())
    assert Block.objects.exists()
    assert set(Block.objects.values_list("level", flat=True)) == {WITNESSED}
    call_command("chain", "verify", "--no-progress")


def _demo_output() -> str:
    out = io.StringIO()
    call_command(
        "demo",
        persons=60,
        companies=2,
        units=15,
        cases=1,
        patients=12,
        wallets=2,
        seed=7,
        stdout=out,
    )
    return out.getvalue()


def test_demo_prints_every_token_whole_on_its_own_line_and_patients_apart_from_officials() -> None:
    output = _demo_output()
    officials = {code for registry, role, _, _ in OFFICIALS for code in _appointed(registry, role)}
    lines = output.splitlines()
    printed = [line.split() for line in lines if line.startswith("  ") and len(line.split()) == 2]
    # A token is never cut: the whole token sits on one line, beside its owner's code
    # (the database keeps only digests, so a printed token proves itself whole).
    assert len(printed) == ApiToken.objects.count()
    for code, token in printed:
        assert ApiToken.objects.get(key_hash=token_digest(token)).user.get_username() == code
    patients_from = lines.index("Patients' own API tokens, personal code and token:")
    patient_codes = [line.split()[0] for line in lines[patients_from + 1 :][:3]]
    assert len(patient_codes) == 3
    assert not set(patient_codes) & officials
    assert all(not tokens_user_is_staff(code) for code in patient_codes)
    # Tables are as wide as their content: no cell is cropped with an ellipsis.
    assert "…" not in output


def test_demo_writes_the_guides_cast_as_shell_variables() -> None:
    _demo_output()
    cast = dict(
        line.split("  #")[0].split("=", 1)
        for line in (Path(settings.RIIK_DATA_DIR) / "demo.env").read_text().splitlines()
        if not line.startswith("#")
    )
    citizen = PersonRecord.objects.get(personal_code=cast["CITIZEN"])
    assert citizen.alive
    assert (Path(settings.RIIK_DATA_DIR) / "demo-keys" / f"{citizen.personal_code}.pem").is_file()
    owners = OwnershipRecord.objects.filter(unit_id=cast["LAND_UNIT"])
    assert [(o.owner_code, o.share) for o in owners] == [(cast["CITIZEN"], "1/1")]
    assert _appointed("property", "notary")[0] == cast["NOTARY"]
    assert (
        ApiToken.objects.get(
            key_hash=token_digest(cast["IDENTITY_REGISTRAR_TOKEN"])
        ).user.get_username()
        == cast["IDENTITY_REGISTRAR"]
    )
    assert not PublicKeyRecord.objects.filter(person__personal_code=cast["NEW_CITIZEN"]).exists()
    # The notary signing in to the demo's admin finds an application awaiting them.
    application = TransferApplicationRecord.objects.get(unit_id=cast["APPLICATION_UNIT"])
    assert (application.notary, application.awaiting) == (cast["NOTARY"], True)
    assert application.buyers == [{"owner": cast["CITIZEN_2"], "share": "1/1"}]


def _appointed(registry: str, role: str) -> list[str]:
    return list(
        AppointmentRecord.objects.filter(registry=registry, role=role)
        .order_by("pk")
        .values_list("person__personal_code", flat=True)
    )


def tokens_user_is_staff(code: str) -> bool:
    return bool(ApiToken.objects.get(user__username=code).user.is_staff)


def test_a_country_at_a_scale_seeds_its_registries_in_proportion() -> None:
    out = io.StringIO()
    call_command("demo", country="estonia", scale=0.00001, seed=3, stdout=out)
    # 350 000 companies, 700 000 land units and 100 000 cases at scale 1.
    assert CompanyRecord.objects.count() == 4
    assert LandUnitRecord.objects.count() == 7
    assert CaseRecord.objects.count() == 1
    assert "entries/s" in out.getvalue()
    assert "At scale 1 (estonia): about" in out.getvalue()


@pytest.mark.parametrize("scale", [0.0, -0.1, 1.5])
def test_a_scale_outside_zero_to_one_is_refused(scale: float) -> None:
    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", country="estonia", scale=scale, stdout=io.StringIO())
