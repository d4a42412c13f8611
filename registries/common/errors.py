"""Errors a registry command raises when it refuses: each maps to one HTTP status.

Raised by aggregates and applications before anything is written, turned into
RFC 9457 problem+json by the API and into form errors by the admin. Titles are
marked for translation (:func:`~registries.common.texts.N_`); a refusal made
from a :class:`~registries.common.texts.Message` is shown in the reader's
language too, any other in English.
"""

from __future__ import annotations

from collections.abc import Callable

from registries.common.texts import N_, Message


class RegistryError(Exception):
    """A command the registry refuses. ``str(error)`` says what was wrong (in English)."""

    status = 400
    title = N_("The registry refused the command")
    slug = "refused"

    def __init__(self, *args: object) -> None:
        super().__init__(*(str(arg) if isinstance(arg, Message) else arg for arg in args))
        self.message = next((arg for arg in args if isinstance(arg, Message)), None)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """What was wrong in the language ``gettext`` translates into: a message
        translated then formatted, a fixed text marked where it was raised looked up
        as it is, and the title when the refusal says nothing more."""
        if self.message is not None:
            return self.message.translated(gettext)
        text = str(self)
        # Never gettext(""): that is the catalog's header.
        return gettext(text) if text else gettext(self.title)


class InvalidCommand(RegistryError):
    """The command's data is not acceptable."""

    title = N_("Invalid command")
    slug = "invalid-command"


class UnknownParty(InvalidCommand):
    """A person or organisation the command names is not in the registers (or has died)."""

    title = N_("Unknown person or organisation")
    slug = "unknown-party"


class NotFound(RegistryError):
    """The record the command names does not exist."""

    status = 404
    title = N_("Not found")
    slug = "not-found"


class Conflict(RegistryError):
    """The command conflicts with the registry's current state."""

    status = 409
    title = N_("Conflict with the registry's state")
    slug = "conflict"
