"""A notary endorses a title transfer with the reference client: sees what they sign, files it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from registries.property.models import LandUnitRecord
from riik_client import new_key
from riik_client.__main__ import main
from tests.registries.identity import helpers as identity
from tests.registries.property.helpers import bank, owner, register_unit, run, version_of

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _notary(tmp_path: Path) -> tuple[str, Path]:
    code = identity.official("property", "notary")
    key_file = tmp_path / "notary.key"
    public = bytes.fromhex(new_key(key_file))
    identity.run(lambda app: app.register_key(code, public, "registrar"))
    return code, key_file


def test_a_notary_sees_the_exact_terms_then_signs_and_files_the_transfer(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seller, buyer = owner("Mari", "Tamm"), owner("Jaan", "Kask")
    unit = register_unit([(seller, "1/1")])
    notary, key_file = _notary(tmp_path)
    endorse = [
        *("--server", live_server.url, "--code", notary, "--key", str(key_file)),
        *("--role", "property/notary", "notary", "endorse", unit),
        *("--seller", seller, "--buyer", f"{buyer}=1/1", "--price-cents", "12000000"),
    ]
    assert main(endorse) == 0
    shown = capsys.readouterr()
    assert f"You sign, for land unit {unit}:" in shown.err
    assert '"price_cents":12000000' in shown.err
    assert buyer in shown.err
    assert json.loads(shown.out)["filed"] is False
    assert version_of(unit) == 1  # nothing filed without --yes

    assert main([*endorse, "--yes"]) == 0
    capsys.readouterr()
    record = LandUnitRecord.objects.get(cadastral_code=unit)
    assert list(record.owners.values_list("owner_code", "share")) == [(buyer, "1/1")]


def test_a_stale_unit_version_is_refused_with_the_problem(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seller, buyer = owner(), owner()
    unit = register_unit([(seller, "1/1")])
    notary, key_file = _notary(tmp_path)
    assert (
        main(
            [
                *("--server", live_server.url, "--code", notary, "--key", str(key_file)),
                *("--role", "property/notary", "notary", "endorse", unit, "--yes"),
                *("--seller", seller, "--buyer", f"{buyer}=1/1", "--price-cents", "1"),
                *("--unit-version", "7"),
            ]
        )
        == 1
    )
    assert "refused: " in capsys.readouterr().err
    assert version_of(unit) == 1


def test_a_missing_key_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--code", "38001010003", "--key", "/nonexistent/notary.key", "sign-in"]) == 2
    assert "cannot read it" in capsys.readouterr().err


def _endorse_now(
    server: str, notary: str, key_file: Path, unit: str, seller: str, buyer: str, *version: str
) -> int:
    return main(
        [
            *("--server", server, "--code", notary, "--key", str(key_file)),
            *("--role", "property/notary", "notary", "endorse", unit, "--yes"),
            *("--seller", seller, "--buyer", f"{buyer}=1/1", "--price-cents", "100"),
            *version,
        ]
    )


def test_a_changed_unit_is_refused_naming_the_version_signed_and_the_current_one(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seller, buyer = owner(), owner()
    unit = register_unit([(seller, "1/1")])
    notary, key_file = _notary(tmp_path)
    run(lambda app: app.add_mortgage(unit, 1_000_000, bank(), "registrar"))
    signed_early = ("--unit-version", "1")
    assert _endorse_now(live_server.url, notary, key_file, unit, seller, buyer, *signed_early) == 1
    refused = capsys.readouterr().err
    assert "the notary signed version 1 of the unit" in refused
    assert "now version 2" in refused
    assert version_of(unit) == 2
