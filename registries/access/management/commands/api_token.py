"""``manage.py api_token <username> --role registry/role``: a static API token for a script.

The token is printed once: the database keeps only its SHA-256. It acts only
in the role given (none, as a citizen, without ``--role``) and expires after
``RIIK_API_TOKEN_LIFETIME`` seconds (:mod:`registries.access.api_tokens`).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registries.access.api_tokens import issue_api_token
from registries.identity.services import has_role


class Command(BaseCommand):
    """Make a static API token bound to one role and print it once."""

    help = "Make a static API token for a user (an official: --role registry/role); printed once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """The user and the one role the token acts in."""
        parser.add_argument("username", help="the user (an official's personal code)")
        parser.add_argument(
            "--role", default="", help="registry/role the token acts in (default: citizen)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the new token (and nothing else, for scripts)."""
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        role: str = options["role"]
        if role:
            registry, _, name = role.partition("/")
            # Refused here, not only at use: a token for a role not held would act nowhere.
            if not has_role(user.get_username(), registry, name):
                raise CommandError(f"{user.get_username()} does not hold the role {role!r}")
        try:
            token = issue_api_token(user, role)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(token)
