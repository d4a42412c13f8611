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

from registries.identity.services import current_representation

Representation = Callable[[str, str], bool]
"""``(registry code, personal code) -> bool``: whether the person may act for it now."""

_representations: list[Representation] = []


def register(representation: Representation) -> None:
    """Also let a person act for an organisation when ``representation`` says so."""
    if representation not in _representations:
        _representations.append(representation)


def representation_of(registry_code: str, personal_code: str) -> str | None:
    """Which current representation lets the person act for the organisation, or None.

    ``identity/<id>``: one recorded by the identity registrar (any organisation),
    each appointment its own, so an organisation token bound to it does not come
    back when the person is removed and appointed again. ``registered``: one a
    registry registered (a seat on a company's current management board); the
    business registry's read model does not say since when, so a token bound to it
    ends only once seen without it (:mod:`registries.access.tokens`).
    """
    recorded = current_representation(registry_code, personal_code)
    if recorded is not None:
        return f"identity/{recorded}"
    if any(representation(registry_code, personal_code) for representation in _representations):
        return "registered"
    return None
