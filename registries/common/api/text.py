"""Names and titles are shown as they are written: no hidden characters in them.

A direction override (U+202A-U+202E, U+2066-U+2069) makes ``"Mari\\u202eksaT"``
display as another name than the one stored, and a zero-width character
(U+200B-U+200D, U+FEFF) makes two names that look the same compare
different. Every serializer field that is a name or a title takes
:func:`visible_text` as a validator (and so do the admin forms built from
those serializers).
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

_HIDDEN = re.compile("[\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]")


def visible_text(value: str) -> None:
    """Refuse (ValidationError) text holding a direction override or a zero-width character."""
    hidden = _HIDDEN.search(value)
    if hidden is not None:
        character = hidden.group()
        name = unicodedata.name(character, "a hidden character").lower()
        raise ValidationError(
            gettext(
                "U+{code} ({name}) is not allowed in names and titles: "
                "it changes how the text is shown, not what it says."
            ).format(code=f"{ord(character):04X}", name=name),
            code="hidden_character",
        )
