"""The court cases covert reads rest on, as the court registry answers for them.

A covert read is made under a criminal case of the court that authorises it
for the person whose data is read, and disclosed when a final judgment of that
case releases it. The court registry imports the
tracker (to track reads of its data, :mod:`registries.court.reading`), so the
tracker does not read the court's tables itself: the court registers its
:class:`Investigations` here in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from typing import Protocol


class Investigations(Protocol):
    """What the tracker asks the court registry about a covert investigation's case."""

    def check_case_number(self, number: str) -> str:
        """A well-formed case number, or InvalidCommand saying why not."""

    def is_criminal_case(self, number: str) -> bool:
        """Whether the court registry holds a criminal case with this number."""

    def authorises(self, case_number: str, reader: str, person: str, registry: str) -> bool:
        """Whether the case lets ``reader`` read ``person``'s data in ``registry`` covertly."""

    def releases(self, case_number: str, judgment: int) -> bool:
        """Whether the case has a final judgment with this number (which can release reads)."""


_providers: list[Investigations] = []


def provide(investigations: Investigations) -> None:
    """Make ``investigations`` the court the tracker asks (the court's ``ready()`` calls it)."""
    _providers[:] = [investigations]


def court() -> Investigations:
    """The court the tracker asks; a LookupError while no court registry is installed."""
    if not _providers:
        raise LookupError("no court registry provides covert investigations (registries.court)")
    return _providers[0]
