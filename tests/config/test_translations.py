"""Everything a person reads exists in Estonian: a marked string without its translation fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "locale" / "et" / "LC_MESSAGES"
# The folders whose strings people read, and the catalog.
SOURCES = ["config", "chain", "registries", "riik_client", "locale"]
IGNORED = shutil.ignore_patterns("__pycache__")


def _untranslated(po: polib.POFile) -> list[str]:
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and (
            "fuzzy" in entry.flags
            or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
            or (not entry.msgid_plural and not entry.msgstr)
        )
    ]


def test_every_estonian_message_has_its_translation() -> None:
    assert _untranslated(polib.pofile(str(CATALOG / "django.po"))) == []


def test_the_compiled_catalog_matches_its_source() -> None:
    source = {
        e.msgid: (e.msgstr, e.msgstr_plural) for e in polib.pofile(str(CATALOG / "django.po"))
    }
    compiled = {
        e.msgid: (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(CATALOG / "django.mo"))
    }
    assert compiled == source, "run `make messages` to compile locale/et"


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs gettext (apt-get install gettext)"
)
def test_every_marked_string_in_the_code_is_in_the_estonian_catalog(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Extract afresh from a copy of the sources and the catalog: a string marked
    # for translation that the committed catalog lacks comes out untranslated.
    for folder in SOURCES:
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["et"], no_location=True, verbosity=0)
    fresh = polib.pofile(str(tmp_path / "locale" / "et" / "LC_MESSAGES" / "django.po"))
    assert _untranslated(fresh) == [], "translate these in locale/et/LC_MESSAGES/django.po"
