"""A person's erasure across the registries (DESIGN §8, issue 14 item 1).

One identity registrar asks for a person's erasure (``request-erasure``), a
different one approves it (``erase-person``, four eyes as for appointments, ADR
0058/0066); the approval erases the person everywhere their personal data is
kept. The identity registry cannot import the registries that hold such data
(they sit above it), so each of them connects a receiver to
:data:`person_erasure` in its app config; :func:`erase_person_everywhere` sends
it, then erases the person from the population register last: a person whose
identity erasure is recorded was erased everywhere, and repeating a half-done
erasure completes it (every receiver may run again).
"""

from __future__ import annotations

from django.dispatch import Signal

from registries.common.sealing import DataErased
from registries.identity.application import IdentityRegistry

__all__ = ["PURPOSE", "erase_person_everywhere", "person_erasure"]

person_erasure = Signal()
"""Sent with ``code``, ``actor`` and ``purpose`` when a person is to be erased: each
receiver destroys what its registry keeps of them (idempotently) or raises. ``purpose``
is :data:`PURPOSE`, never the registrars' reason: why a person is erased stays with the
identity registry (its registrars and the person, ADR 0081), while the other registries'
key audits are read by their own auditors."""

PURPOSE = "approved in the population register (four eyes)"
"""What the other registries' audit of a destroyed key says about why: that the
population register approved it; its registrars' reason stays there."""


def erase_person_everywhere(identity: IdentityRegistry, code: str, actor: str, reason: str) -> None:
    """Erase the person in every registry that connected to :data:`person_erasure`,
    then in the population register, when ``actor`` approves the erasure a different
    identity registrar asked for (four eyes, checked before any registry erases
    anything); :class:`DataErased` (410) if that was done before, NotFound (404) for a
    code the register never knew or an erasure nobody asked for, FourEyes (409) for a
    self-approval."""
    if identity.is_erased(code):
        raise DataErased("the person's data has been erased already")
    identity.check_erasure(code, actor)
    person_erasure.send(sender=IdentityRegistry, code=code, actor=actor, purpose=PURPOSE)
    identity.erase_person(code, actor, reason)
