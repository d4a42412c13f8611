"""``manage.py bootstrap_registrar <personal code> --operator <your code>``: the first registrars.

Appointing an identity registrar takes a second registrar's confirmation. While
fewer than two hold office the operator steps in: with none, this appoints the
person; with one, it confirms that registrar's proposal of the person. Both are
recorded on the chain with ``operator:<the operator's personal code>`` as actor
(:mod:`registries.identity.bootstrap`). On an empty register, ``--first-name``
and ``--last-name`` register the person first.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registries.common.errors import RegistryError
from registries.identity.bootstrap import bootstrap_registrar


class Command(BaseCommand):
    """Appoint or confirm one of the first two identity registrars, as the operator."""

    help = (
        "Bootstrap the identity registry: appoint the first identity registrar, or confirm "
        "the first registrar's proposal of the second; refused once two hold office."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """The person and the operator who answers for the act."""
        parser.add_argument("personal_code", help="the person to make an identity registrar")
        parser.add_argument(
            "--operator",
            required=True,
            help="your personal code, recorded on the chain as the actor",
        )
        parser.add_argument("--first-name", help="to register the person first, if unregistered")
        parser.add_argument("--last-name", help="to register the person first, if unregistered")

    def handle(self, *args: Any, **options: Any) -> None:
        """Do it, or say why not (nothing is written then)."""
        code: str = options["personal_code"]
        first, last = options["first_name"], options["last_name"]
        names = (first, last) if first and last else None
        try:
            done = bootstrap_registrar(code, options["operator"], names)
        except RegistryError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{code} {done} as identity registrar by operator {options['operator']}")
