"""One definition of what the public registers show anyone: docs/privacy.md lists
exactly :data:`~registries.common.public.PUBLIC_PEOPLE` (the leak test and the
serializers read the code)."""

from __future__ import annotations

from pathlib import Path

from registries.common.public import PUBLIC_PEOPLE, names_are_public

PRIVACY = Path(__file__).resolve().parents[3] / "docs" / "privacy.md"
FACT = {True: "public", False: "signed-in callers"}


def _documented() -> dict[str, tuple[str, str, str, str]]:
    """The rows of the table under "What is public, per registry", by registry."""
    section = PRIVACY.read_text(encoding="utf-8").split("## What is public, per registry")[1]
    rows = {}
    for line in section.split("\n## ")[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and cells[0] not in ("registry", "---"):
            registry, path, people, codes, names = cells
            rows[registry] = (path.strip("`"), people, codes, names)
    return rows


def test_the_privacy_page_lists_exactly_what_the_code_makes_public() -> None:
    expected = {
        registry: (public.path, public.people, FACT[public.codes], FACT[public.names])
        for registry, public in PUBLIC_PEOPLE.items()
    }
    assert _documented() == expected


def test_names_are_public_on_business_cards_only() -> None:
    assert [r for r in ("business", "property", "court", "identity") if names_are_public(r)] == [
        "business"
    ]
