"""Errors a registry command raises when it refuses: each maps to one HTTP status.

Raised by aggregates and applications before anything is written, turned into
RFC 9457 problem+json by the API and into form errors by the admin.
"""

from __future__ import annotations


class RegistryError(Exception):
    """A command the registry refuses. ``str(error)`` says what was wrong."""

    status = 400
    title = "The registry refused the command"
    slug = "refused"


class InvalidCommand(RegistryError):
    """The command's data is not acceptable."""

    title = "Invalid command"
    slug = "invalid-command"


class NotFound(RegistryError):
    """The record the command names does not exist."""

    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(RegistryError):
    """The command conflicts with the registry's current state."""

    status = 409
    title = "Conflict with the registry's state"
    slug = "conflict"
