"""The operator's bootstrap of the first identity registrars (``manage.py bootstrap_registrar``).

Appointing an identity registrar takes four eyes like the roles that read
health or court data: one identity registrar proposes, a different one
confirms (ADR 0058, ADR 0066). Until two registrars hold office nobody could
confirm, so the operator steps in, and only then:

* with **no** identity registrar in office, the operator appoints one alone;
* with **one** in office, that registrar proposes the second (API or admin) and
  the operator confirms the proposal: two different people again;
* with **two or more**, the bootstrap is refused: registrars confirm each other.

Each act is an ordinary event of the person (``Appointed``) on the identity
log, so it is on the chain, with ``operator:<personal code>`` as its actor (the
operator answers for it by their own code); the admin shows it as the
appointment's "appointed by" or "confirmed by". Nobody, the operator included,
appoints themselves. On an empty register nobody could register the first
registrar as a person either, so the bootstrap registers them when names are
given (by the same actor).

The count of registrars in office is read before the write: two operators
bootstrapping at the very same moment could both see an empty office. The
chain shows both acts (this is an operator's command, not a public endpoint).
"""

from __future__ import annotations

from registries.common.commands import issue
from registries.common.errors import Conflict
from registries.common.projections import catch_up
from registries.identity import services
from registries.identity.application import IdentityRegistry
from registries.identity.models import AppointmentRecord
from registries.identity.projections import PROJECTIONS
from registries.identity.vocabulary import (
    IDENTITY_REGISTRAR,
    NO_SELF_APPOINTMENT,
    SelfAppointment,
    checked_personal_code,
)

OPERATOR_PREFIX = "operator:"


def registrars_in_office() -> list[str]:
    """Personal codes of the living identity registrars now in office."""
    for projection in PROJECTIONS:
        catch_up(projection)
    registry, role = IDENTITY_REGISTRAR
    return sorted(
        AppointmentRecord.objects.filter(
            registry=registry, role=role, active=True, person__died_on=None
        ).values_list("person__personal_code", flat=True)
    )


def operator_actor(operator: str) -> str:
    """The actor an operator's bootstrap act is recorded with: ``operator:<personal code>``."""
    return f"{OPERATOR_PREFIX}{operator}"


def bootstrap_registrar(
    personal_code: str, operator: str, names: tuple[str, str] | None = None
) -> str:
    """Appoint (none in office) or confirm (one in office, who proposed it) an identity
    registrar as the operator (their personal code), registering the person first
    under ``names`` (first, last) if the register lacks them; return what was done.
    Conflict once two hold office."""
    checked_personal_code(operator, "operator")
    if operator == personal_code:
        raise SelfAppointment(NO_SELF_APPOINTMENT)
    actor = operator_actor(operator)
    in_office = registrars_in_office()
    if personal_code in in_office:
        raise Conflict(f"bootstrap: {personal_code} is already an identity registrar")
    if len(in_office) >= 2:
        raise Conflict(
            "bootstrap: two identity registrars hold office; one proposes a new "
            "registrar and another confirms (four eyes), the operator does not"
        )
    registered = ""
    if not services.person_exists(personal_code) and names is not None:
        first, last = names
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.register_person(personal_code, first, last, actor),
        )
        registered = "registered and "
    registry, role = IDENTITY_REGISTRAR
    if not in_office:
        issue(
            IdentityRegistry, PROJECTIONS, lambda app: app.bootstrap_registrar(personal_code, actor)
        )
        return f"{registered}appointed"
    issue(
        IdentityRegistry,
        PROJECTIONS,
        lambda app: app.confirm_appointment(personal_code, registry, role, None, actor),
    )
    return f"{registered}confirmed"
