"""What the public registers show anyone about the people on their records.

The one definition: the registries' serializers read it to decide whether an
anonymous reader sees names beside codes, docs/privacy.md lists it (a test
compares the two), and the public-chain leak test
(tests/security/test_public_chain.py) allows exactly these facts, on exactly
these API paths, and no others. The chain's endpoints and the explorer are not
here: they show no person's code or name at all (DESIGN §8).

Estonian law makes public the business register's cards, including the names
and personal codes of founders and management board members; the land
register's title parts I-II (owners, and the parties of past transfers with
the endorsing notary); and the parties of public civil and administrative
cases. Names beside the land register's and the court's codes are shown only
to signed-in callers until those registers document them as public.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublicPeople:
    """The people a register's public records name, and which of their facts anyone sees."""

    path: str
    """The API path (prefix) of the records that show them."""
    people: str
    """Who they are, as docs/privacy.md says it."""
    codes: bool
    """Their personal codes are public."""
    names: bool
    """Their names beside the codes are public."""


PUBLIC_PEOPLE: dict[str, PublicPeople] = {
    "business": PublicPeople(
        "/api/v1/business/companies/",
        "founders and management board members on a company's card",
        codes=True,
        names=True,
    ),
    "property": PublicPeople(
        "/api/v1/property/land-units/",
        "owners; the parties of past transfers and the endorsing notary",
        codes=True,
        names=False,
    ),
    "court": PublicPeople(
        "/api/v1/court/",
        "natural-person parties of public civil and administrative cases",
        codes=True,
        names=False,
    ),
}


def names_are_public(registry: str) -> bool:
    """Whether ``registry``'s public records show anyone the names beside the codes."""
    public = PUBLIC_PEOPLE.get(registry)
    return public is not None and public.names
