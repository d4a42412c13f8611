"""The reference client over real HTTP against a live server: sign in, register, my data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from chain.blocks.sealing import seal_pending
from registries.common.codes import registry_code
from riik_client import Client, ClientError, load_key, new_key
from riik_client.__main__ import main
from tests.registries.health import helpers as health
from tests.registries.identity.helpers import organisation, person, run

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def resident(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A person whose e-ID key the client made and the registrar registered."""
    code = person(name, "Tamm")
    key_file = tmp_path / f"{name}.key"
    public = bytes.fromhex(new_key(key_file))
    run(lambda app: app.register_key(code, public, "registrar"))
    return code, key_file


def test_founders_register_a_company_and_see_it_with_proofs(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mari, mari_key = resident(tmp_path, "Mari")
    jaan, jaan_key = resident(tmp_path, "Jaan")
    common = ["--server", live_server.url, "--code", mari, "--key", str(mari_key)]
    assert (
        main(
            [
                *common,
                "register-company",
                "--name",
                "Klient Mesi OÜ",
                "--legal-form",
                "OÜ",
                "--capital-cents",
                "250000",
                "--address",
                "Tartu, Rüütli 1",
                "--founder",
                mari,
                "--founder",
                jaan,
                "--board",
                mari,
                "--signer",
                f"{jaan}={jaan_key}",
            ]
        )
        == 0
    )
    assert '"registry_code"' in capsys.readouterr().out
    # Not yet in a block: the proof holds only against the server's own root,
    # and the client says so instead of reporting success.
    assert main([*common, "me", "companies", "--verify"]) == 1
    captured = capsys.readouterr()
    assert "Klient Mesi OÜ" in captured.out
    assert "NOT PROVED - not yet in a final block" in captured.err
    assert "proved 0 of 1 records" in captured.err
    # Final, and checked against the supernode keys pinned beforehand.
    seal_pending()
    pins = tmp_path / "supernodes.txt"
    assert main(["--server", live_server.url, "keys", "pin", str(pins)]) == 0
    assert "pinned 1 supernode keys" in capsys.readouterr().out
    assert main([*common, "me", "companies", "--verify", "--trusted-keys", str(pins)]) == 0
    captured = capsys.readouterr()
    assert "PROVED - in block 1, final by 1 pinned supernodes (quorum 1)" in captured.err
    assert "proved 1 of 1 records against pinned supernode keys" in captured.err
    # A pin file is not silently replaced.
    assert main(["--server", live_server.url, "keys", "pin", str(pins)]) == 2


def test_missing_co_signer_is_refused_with_the_problem(live_server: Any, tmp_path: Path) -> None:
    mari, mari_key = resident(tmp_path, "Mari")
    jaan, _ = resident(tmp_path, "Jaan")
    client = Client(live_server.url)
    client.sign_in(mari, load_key(mari_key))
    payload = {
        "name": "Üksi Mesi OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [mari, jaan],
        "board": [mari],
        "address": "Tartu, Rüütli 1",
    }
    with pytest.raises(ClientError) as refused:
        client.register_company(payload, [(mari, load_key(mari_key))])
    assert refused.value.status == 400
    assert jaan in refused.value.problem["detail"]


def test_wrong_key_file_cannot_sign_in(live_server: Any, tmp_path: Path) -> None:
    mari, _ = resident(tmp_path, "Mari")
    other = tmp_path / "other.key"
    new_key(other)
    assert main(["--server", live_server.url, "--code", mari, "--key", str(other), "sign-in"]) == 1


def test_a_patient_signs_consent_and_representative_changes_and_reads_them_back(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mari, mari_key = resident(tmp_path, "Mari")
    ema, ema_key = resident(tmp_path, "Ema")
    hospital = health.hospital()
    common = ["--server", live_server.url, "--code", mari, "--key", str(mari_key)]
    assert main([*common, "health", "consent", "close", "--provider", hospital]) == 0
    capsys.readouterr()
    assert main([*common, "me", "health"]) == 0
    assert json.loads(capsys.readouterr().out)["consents"] == [
        {"provider": hospital, "state": "closed"}
    ]
    appoint = [*common, "health", "representative", "appoint", ema]
    # Without the representative's signature the appointment is refused.
    assert main(appoint) == 1
    assert f"missing the signature of {ema}" in capsys.readouterr().err
    assert main([*appoint, "--signer", f"{ema}={ema_key}"]) == 0
    assert json.loads(capsys.readouterr().out)["representatives"] == [ema]
    assert main([*common, "health", "representative", "remove", ema]) == 0
    assert json.loads(capsys.readouterr().out)["representatives"] == []
    assert main([*common, "health", "consent", "open"]) == 0
    capsys.readouterr()
    assert main([*common, "me", "data-tracker"]) == 0
    assert "results" in json.loads(capsys.readouterr().out)


def test_a_board_member_signs_in_for_the_company_and_reads_its_card(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mari, mari_key = resident(tmp_path, "Mari")
    jaan, jaan_key = resident(tmp_path, "Jaan")
    common = ["--server", live_server.url, "--code", mari, "--key", str(mari_key)]
    register = ["register-company", "--name", "Juhatus Mesi OÜ", "--legal-form", "OÜ"]
    register += ["--capital-cents", "250000", "--address", "Tartu, Rüütli 1"]
    register += ["--founder", mari, "--board", mari]
    assert main([*common, *register]) == 0
    company = json.loads(capsys.readouterr().out)["registry_code"]
    assert main([*common, "--for-organisation", company, "me", "organisation"]) == 0
    assert json.loads(capsys.readouterr().out)["registry_code"] == company
    # Jaan is not on the board: refused with the problem's detail.
    other = ["--server", live_server.url, "--code", jaan, "--key", str(jaan_key)]
    assert main([*other, "--for-organisation", company, "sign-in"]) == 1
    assert "you do not represent organisation" in capsys.readouterr().err


def test_a_hospital_representative_signs_in_for_the_hospital_and_reads_its_cases(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    peeter, peeter_key = resident(tmp_path, "Peeter")
    hospital = organisation("hospital", "Põhja Haigla")
    run(lambda app: app.appoint_representative(peeter, hospital, "director", "registrar"))
    common = ["--server", live_server.url, "--code", peeter, "--key", str(peeter_key)]
    assert main([*common, "--for-organisation", hospital, "me", "organisation"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert (card["kind"], card["representatives"][0]["title"]) == ("hospital", "director")
    assert main([*common, "--for-organisation", hospital, "me", "court-cases", "--verify"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["results"] == []
    assert "nothing to verify" in captured.err


def test_lang_et_prints_the_servers_problem_in_estonian(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mari, mari_key = resident(tmp_path, "Mari")
    common = ["--server", live_server.url, "--code", mari, "--key", str(mari_key)]
    unknown = registry_code(999_005, kind_digit=7)
    consent = ["health", "consent", "close", "--provider", unknown]
    assert main(["--lang", "et", *common, *consent]) == 1
    refused = capsys.readouterr().err
    assert "Tundmatu isik või asutus" in refused
    assert f"provider: registrikoodiga {unknown} asutust" in refused
    assert main([*common, *consent]) == 1
    refused = capsys.readouterr().err
    assert "Unknown person or organisation" in refused
    assert f"provider: no hospital with registry code {unknown}" in refused


def test_keygen_never_overwrites_a_key_file_and_writes_it_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "me.key"
    assert main(["keygen", str(key_file)]) == 0
    held = key_file.read_bytes()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert main(["keygen", str(key_file)]) == 2
    assert key_file.read_bytes() == held
    assert "me.key exists" in capsys.readouterr().err
