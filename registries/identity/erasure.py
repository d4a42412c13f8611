"""A person's erasure across the registries (DESIGN §8, issue 14 item 1).

The identity registrar's ``erase-person`` command erases a person everywhere
their personal data is kept. The identity registry cannot import the registries
that hold such data (they sit above it), so each of them connects a receiver to
:data:`person_erasure` in its app config; :func:`erase_person_everywhere` sends
it, then erases the person from the population register last: a person whose
identity erasure is recorded was erased everywhere, and repeating a half-done
erasure completes it (every receiver may run again).
"""

from __future__ import annotations

from django.dispatch import Signal

from registries.common.sealing import DataErased
from registries.identity.application import IdentityRegistry

__all__ = ["erase_person_everywhere", "person_erasure"]

person_erasure = Signal()
"""Sent with ``code``, ``actor`` and ``reason`` when a person is to be erased: each
receiver destroys what its registry keeps of them (idempotently) or raises."""


def erase_person_everywhere(identity: IdentityRegistry, code: str, actor: str, reason: str) -> None:
    """Erase the person in every registry that connected to :data:`person_erasure`,
    then in the population register; :class:`DataErased` (410) if that was done before,
    NotFound (404) for a code the register never knew."""
    if identity.is_erased(code):
        raise DataErased("the person's data has been erased already")
    person_erasure.send(sender=IdentityRegistry, code=code, actor=actor, reason=reason)
    identity.erase_person(code, actor, reason)
