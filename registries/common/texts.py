"""Texts a person reads, marked for translation without Django.

Pure code (domains, errors) marks its fixed texts with :func:`N_`: xgettext
extracts ``N_("...")`` into the Estonian catalog (``N_`` is one of its default
Python keywords), and the edge that shows the text (problem+json, the admin)
translates it with Django's ``gettext``. A text with values is a
:class:`Message`: its template is marked and translated, then formatted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:  # noqa: N802  # xgettext's keyword is spelled so
    """Mark ``text`` for translation; return it unchanged (translated where it is shown)."""
    return text


@dataclass(frozen=True)
class Message:
    """A text with named values: ``template`` (marked with :func:`N_`) and its ``values``."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.values)

    def translated(self, gettext: Any) -> str:
        """The text in the language ``gettext`` translates into."""
        return str(gettext(self.template)).format(**self.values)
