"""``manage.py makemessages`` that also extracts the pure code's ``N_`` markers.

The domains and errors mark their texts with :func:`registries.common.texts.N_`
(no Django in pure code); xgettext knows that keyword for C, not for Python,
so it is named here. Everything else is Django's command.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, with ``N_`` as a keyword of xgettext."""

    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
