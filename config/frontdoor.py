"""The front door: a start page that sends each kind of user to their place.

Everything on it is in Estonian and English (Django i18n; the language comes
from ``Accept-Language`` or the language switch on the page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chain.blocks.models import Block
from registries.identity.models import PersonRecord


def start_page(request: HttpRequest) -> HttpResponse:
    """``/``: where citizens, officials, auditors and developers go, and the chain's head."""
    head = Block.objects.order_by("-height").only("height", "level").first()
    return render(request, "riik/start.html", {"head": head})


def official_name(request: HttpRequest) -> dict[str, str]:
    """Template context: the signed-in official's name from the identity registry.

    Officials' accounts are named by their personal code; the admin greets
    them by the name the population register holds for that code.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    person = (
        PersonRecord.objects.filter(personal_code=user.get_username())
        .only("first_name", "last_name")
        .first()
    )
    if person is None:
        return {}
    return {"official_name": f"{person.first_name} {person.last_name}"}
