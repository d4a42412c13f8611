"""Issuing a registry command from the outside (API, admin, cross-registry processes).

One place for the rule that a caller who issued a command sees its effect in
the read models straight away (read-your-writes): run the command on the
process-wide application, catch up the registry's projections, and run the
registry's cross-registry processes, if it has any. A refused
command raises a :class:`~registries.common.errors.RegistryError` before
anything is written, and the projections are then left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from registries.common.application import RegistryApplication, running
from registries.common.payments import catch_up_payments
from registries.common.projections import ReadModelProjection, catch_up, process_driver

App = TypeVar("App", bound=RegistryApplication)
T = TypeVar("T")


def issue(
    app_class: type[App],
    projections: Iterable[type[ReadModelProjection]],
    command: Callable[[App], T],
) -> T:
    """Run ``command`` on the running ``app_class`` and catch up ``projections``.

    Returns what the command returned (a new registry code, for instance).
    """
    result = command(running(app_class))
    for projection in projections:
        catch_up(projection)
    # A command that paid a state fee or a price moved money too.
    catch_up_payments()
    # A registry whose events order effects in other registries (the court)
    # carries them out now, so the caller sees them at once too.
    drive = process_driver(app_class.name)
    if drive is not None:
        drive()
    return result
