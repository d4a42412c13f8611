"""Who may act for an organisation: the representations the registries know of.

A person may sign in for an organisation they represent
(:mod:`registries.access.signin`). The identity registry records the
representatives of any organisation; a registry above access knows more (the
business registry: who sits on a company's management board) and registers
that here in its ``AppConfig.ready()`` (:func:`register`), so that access never
imports a registry above identity.
"""

from __future__ import annotations

from collections.abc import Callable

from registries.identity.services import is_representative

Representation = Callable[[str, str], bool]
"""``(registry code, personal code) -> bool``: whether the person may act for it now."""

_representations: list[Representation] = []


def register(representation: Representation) -> None:
    """Also let a person act for an organisation when ``representation`` says so."""
    if representation not in _representations:
        _representations.append(representation)


def represents(registry_code: str, personal_code: str) -> bool:
    """Whether the person may act for the organisation now: a representation a
    registry registered (a seat on a company's current management board) or a
    current representation recorded by the identity registrar (any organisation)."""
    return any(
        representation(registry_code, personal_code) for representation in _representations
    ) or is_representative(registry_code, personal_code)
