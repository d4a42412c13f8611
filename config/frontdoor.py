"""The front door: a start page that sends each kind of user to their place.

Everything on it is in Estonian and English (Django i18n; the language comes
from ``Accept-Language`` or the language switch on the page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.template.loader import render_to_string

from chain.blocks.models import Block
from registries.access.admin_signin import sign_in_choices
from registries.access.roles import SESSION_ROLE
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


# The roles that act in the admin; doctors, pharmacists and auditors work through the API.
ADMIN_ROLES = frozenset({"registrar", "judge", "notary"})


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 outside the API: Riik-branded, saying which roles the page needs and
    in which role the official is signed in (the API answers problem+json)."""
    roles = dict(sign_in_choices())
    parts = request.path.strip("/").split("/")
    registry = parts[1] if len(parts) > 1 and parts[0] == "admin" else ""
    needed = [
        name
        for role, name in roles.items()
        if role.split("/")[0] == registry and role.split("/")[1] in ADMIN_ROLES
    ]
    session = getattr(request, "session", None)
    bound = session.get(SESSION_ROLE, "") if session is not None else ""
    context = {
        "reason": str(exception),
        "needed": ", ".join(needed),
        "session_role": roles.get(bound, bound),
    }
    return HttpResponseForbidden(render_to_string("riik/403.html", context, request))
