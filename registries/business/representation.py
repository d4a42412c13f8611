"""Who may act for a company: the members of its current management board.

Registered with :mod:`registries.access.representation` in
:class:`registries.business.apps.BusinessConfig`, so that a board member can
sign in for the company (access does not import the business registry).
"""

from __future__ import annotations

from registries.business.models import CompanyPerson


def on_current_board(registry_code: str, personal_code: str) -> bool:
    """Whether the person sits on the current management board of a company that
    is not deleted (the business registry's read model)."""
    return (
        CompanyPerson.objects.filter(
            company__registry_code=registry_code,
            role=CompanyPerson.BOARD,
            personal_code=personal_code,
        )
        .exclude(company__status="deleted")
        .exists()
    )
