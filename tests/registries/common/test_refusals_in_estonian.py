"""Refusals of the registries' domains read in Estonian where they are shown (the
API's problem+json and the admin's forms both use ``RegistryError.translated``),
in English otherwise: fixed texts, texts with values, and texts whose values are
texts themselves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils.translation import gettext, override

from registries.business.domain import check_address, check_name
from registries.common.errors import InvalidCommand, RegistryError
from registries.common.texts import Message
from registries.identity.vocabulary import check_role
from registries.property.vocabulary import NotAnOwner, parse_share


def _refusal(run: Callable[[], object]) -> RegistryError:
    with pytest.raises(RegistryError) as refused:
        run()
    return refused.value


def _in(language: str, error: RegistryError) -> str:
    with override(language):
        return error.translated(gettext)


def test_a_fixed_refusal_is_looked_up_as_it_is() -> None:
    refused = _refusal(lambda: check_address(""))
    assert _in("en", refused) == "address: must be 1-300 characters"
    assert _in("et", refused) == "address: peab olema 1\u2013300 märki"


def test_a_refusal_with_values_keeps_its_field_and_values() -> None:
    refused = _refusal(lambda: check_name("Mets", "OÜ"))
    assert str(refused) == "name: a business name must show its legal form (OÜ)"
    assert _in("et", refused) == "name: ärinimi peab näitama õiguslikku vormi (OÜ)"
    share = _refusal(lambda: parse_share("3/0"))
    assert _in("et", share) == "share: '3/0' nimetaja on null"


def test_a_role_refusal_names_the_choices_in_both_languages() -> None:
    refused = _refusal(lambda: check_role("business", "astronaut"))
    assert _in("en", refused).startswith("role: 'astronaut' is not one of ")
    assert _in("et", refused).startswith("role: 'astronaut' ei ole üks järgmistest: ")


def test_an_earlier_event_is_named_in_the_readers_language_where_it_is_located() -> None:
    refusal = NotAnOwner(
        Message(
            "sellers: the seller {seller} no longer owns the unit: transferred at {at}",
            {"seller": "38001010008"},
        ),
        3,
    )
    assert str(refusal).endswith("transferred at version 3")
    located = refusal.located(41)
    assert str(located).endswith("transferred at ledger seq 41")
    assert _in("et", located).endswith("transferred at pearaamatu kanne 41")


def test_a_refusal_that_says_nothing_more_shows_its_title_not_the_catalogs_header() -> None:
    assert _in("et", InvalidCommand()) == "Vigane käsk"
