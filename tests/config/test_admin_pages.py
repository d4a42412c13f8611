"""The label check of the Estonian admin walk finds English, and only in labels."""

from __future__ import annotations

from tests.config.admin_pages import labels, untranslated

ENGLISH = """<html><head><title>Select company to view | Riik</title></head><body>
<table><thead><tr><th scope="col"><div class="sortoptions"><span class="sortpriority">2</span>
</div><div class="text"><a>Ledger seq</a></div></th><th>Number</th></tr></thead>
<tbody><tr><th class="field-name"><a>Tamm OÜ</a></th><td>12</td></tr></tbody></table>
<fieldset><h2 class="fieldset-heading">On the chain</h2><label>Version:</label>
<div class="readonly">3</div></fieldset><br><input type="text"></body></html>"""


def estonian(*keep: str) -> str:
    page = ENGLISH.replace("Select company to view", "Vali äriühing vaatamiseks")
    for english, translated in [("Ledger seq", "Pearaamatu jrk"), ("On the chain", "Ahelas")]:
        if english not in keep:
            page = page.replace(english, translated)
    return page.replace("Version:", "Versioon:")


def test_labels_are_headers_titles_and_field_labels_not_the_records_values() -> None:
    assert labels(ENGLISH) == [
        "Select company to view | Riik",
        "Ledger seq",  # not "2 Ledger seq": its place in the sort order is left out
        "Number",
        "On the chain",
        "Version:",
    ]


def test_a_header_or_heading_left_in_english_is_found() -> None:
    assert untranslated(estonian("Ledger seq", "On the chain"), ENGLISH) == [
        "Ledger seq",
        "On the chain",
    ]


def test_a_page_in_estonian_has_nothing_english_and_shared_words_are_no_finding() -> None:
    assert untranslated(estonian(), ENGLISH) == []
