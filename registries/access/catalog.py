"""The command catalog: each registry command declared once, for the API and the admin.

A :class:`Command` says, in the users' words, what a command is called, what
it takes (the API's input serializer, the admin's form), what it does (the
application call ``run(app, data, who)``), who may issue it, what the API
answers and when the admin offers it. A registry's :class:`Catalog` lists its
commands in ``registries/<registry>/commands.py``; the API's URL patterns
(with their OpenAPI documentation) and the admin's command forms are generated
from it, so the two ways in cannot drift apart. Every command runs through
:func:`registries.common.commands.issue` (read-your-writes).

``data`` is what the command was given, in the API's words: the validated
request body plus the URL's path parameters (the record's key) and whatever
the caller contributes (``caller``), or the admin form's
:meth:`~registries.access.forms.CommandForm.command_data` plus the record's key
(``Target.key``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import URLPattern, path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.forms import AdminForm, CommandForm, command_form
from registries.access.tokens import actor
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.application import RegistryApplication
from registries.common.commands import issue
from registries.common.projections import ReadModelProjection

__all__ = ["Catalog", "Command", "Reply", "Target"]

Data = dict[str, Any]
Run = Callable[[Any, Data, str], object]
"""``run(app, data, who)``: the application call; returns what it returned."""


def _nothing(**keys: Any) -> None:
    """No check of the path parameters (a registration has none)."""


def _no_key(record: Any, who: str) -> Data:
    """A command that adds a record acts on none."""
    return {}


def _nobody(request: Request) -> Data:
    """The caller contributes nothing to the command's data."""
    return {}


def _always(record: Any) -> bool:
    return True


def _anyone(record: Any, who: str) -> bool:
    """Whoever may issue the registry's commands may issue this one on any record."""
    return True


def _no_date(record: Any) -> date | None:
    return None


@dataclass(frozen=True)
class Reply:
    """What the API answers after a command: the read serializer's view of the record.

    ``body(request, data, result)`` renders it (``result`` is what the
    application call returned, such as a new registry code); ``location``, if
    given, is the URL of a record the command created.
    """

    serializer: type[serializers.BaseSerializer[Any]] | serializers.BaseSerializer[Any]
    body: Callable[[Request, Data, object], Any]
    location: Callable[[Request, Data, object], str] | None = None


@dataclass(frozen=True)
class Target:
    """The kind of record a group of commands acts on, as the API and the admin name it.

    ``route`` is the API path of the record (``land-units/<str:code>/``, or a
    collection for commands that add records), ``parameters`` documents its
    path parameters, ``check(**keys)`` refuses a malformed or unknown key
    (400/404) before the request body is read, and ``key(record, who)`` gives
    an admin record's key as command data (``{"code": record.cadastral_code}``).
    """

    route: str
    tags: Sequence[str]
    parameters: tuple[OpenApiParameter, ...] = ()
    check: Callable[..., object] = _nothing
    key: Callable[[Any, str], Data] = _no_key


@dataclass(frozen=True)
class Command:
    """One registry command, declared once.

    ``name`` is the admin's URL slug (``.../command/<name>/``) and ``title``
    the admin's button label and form title. ``input`` is the API's request
    body (None: no body); ``route`` the API path after the target's (empty:
    the target's own path), ``url_name`` its URL name (empty: the command has
    no API route) and ``reply`` what it answers. ``form`` is the admin's form:
    an :class:`~registries.access.forms.AdminForm` generated from ``input``
    (``admin_form`` is its class), a hand-written form class, or None (no admin
    form); ``done`` is its success message;
    ``available(record)`` says whether the admin offers the command on a
    record now, ``may(record, who)`` whether this user (their username: an
    official's personal code) may issue it on that record at all (the admin
    shows only what the user may do), and, for a command not available yet,
    ``available_from(record)`` the day it becomes possible and ``later`` why
    (such as "after the appeal period"). ``caller(request)`` adds what the
    caller contributes to the API's data (such as the doctor's own code),
    ``actor(request)`` names who issues it in the events.
    """

    name: str
    title: str
    target: Target
    run: Run
    permission: type[BasePermission]
    reply: Reply | None = None
    input: type[serializers.BaseSerializer[Any]] | None = None
    route: str = ""
    url_name: str = ""
    summary: str = ""
    description: str = ""
    parameters: tuple[OpenApiParameter, ...] = ()
    status: int = status.HTTP_200_OK
    problems: tuple[int, ...] = (400, 401, 403, 404, 409, 429)
    caller: Callable[[Request], Data] = _nobody
    actor: Callable[[Request], str] = actor
    form: type[CommandForm] | AdminForm | None = None
    done: str = ""
    available: Callable[[Any], bool] = field(default=_always)
    may: Callable[[Any, str], bool] = field(default=_anyone)
    available_from: Callable[[Any], date | None] = field(default=_no_date)
    later: str = ""
    admin_form: type[CommandForm] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        form = self.form
        if isinstance(form, AdminForm):
            form = command_form(form, self.input)
        # Generated once, when the catalog is declared: a mistake in it fails at start-up.
        object.__setattr__(self, "admin_form", form)

    def not_yet(self, record: Any) -> str:
        """For a command not available on ``record`` now: from when it will be, in words
        (empty if the registry cannot tell)."""
        since = self.available_from(record)
        if since is None:
            return ""
        when = gettext("available from {day}").format(day=f"{since:%Y-%m-%d}")
        return f"{when} ({gettext(self.later)})" if self.later else when


@dataclass(frozen=True)
class Catalog:
    """A registry's commands: its application, the projections a command catches
    up, and the commands in the order the admin offers them."""

    application: type[RegistryApplication]
    projections: Sequence[type[ReadModelProjection]]
    commands: Sequence[Command]

    def __getitem__(self, name: str) -> Command:
        for command in self.commands:
            if command.name == name:
                return command
        raise KeyError(name)

    def issue(self, command: Command, data: Data, who: str) -> object:
        """Run ``command`` with ``data`` on behalf of ``who`` (read-your-writes)."""
        return issue(self.application, self.projections, lambda app: command.run(app, data, who))

    def on(self, target: Target) -> dict[str, Command]:
        """The admin's command forms on records of ``target``, by name."""
        return {c.name: c for c in self.commands if c.target is target and c.admin_form is not None}

    def urlpatterns(self, reads: Mapping[str, type[GenericAPIView[Any]]]) -> list[URLPattern]:
        """The API's URL patterns of every command with a route.

        ``reads`` maps an API path to the read view served at the same path
        (a search whose POST registers a record): the command's POST joins it.
        """
        patterns = []
        joined = set()
        for command in self.commands:
            if not command.url_name:
                continue
            route = command.target.route + command.route
            view = self.view(command, reads.get(route))
            joined.add(route)
            patterns.append(path(route, view.as_view(), name=command.url_name))
        # A read view whose path no command has would silently vanish from the API.
        unjoined = set(reads) - joined
        if unjoined:
            raise ValueError(f"no command at the paths of the read views {sorted(unjoined)}")
        return patterns

    def view(
        self, command: Command, read: type[GenericAPIView[Any]] | None = None
    ) -> type[GenericAPIView[Any]]:
        """The DRF view that issues ``command`` on POST (joined to the ``read`` view, if any)."""
        catalog = self
        reply = command.reply
        if reply is None:
            raise ValueError(f"command {command.name!r} has an API route but no reply")

        # No docstring on purpose: drf-spectacular would publish it as the
        # description of every command.
        def post(self: GenericAPIView[Any], request: Request, **keys: Any) -> Response:
            command.target.check(**keys)
            body = validated(command.input, request.data) if command.input is not None else {}
            data = {**body, **keys, **command.caller(request)}
            result = catalog.issue(command, data, command.actor(request))
            headers = None
            if reply.location is not None:
                headers = {"Location": reply.location(request, data, result)}
            return Response(reply.body(request, data, result), command.status, headers=headers)

        schema = extend_schema(
            tags=list(command.target.tags),
            summary=command.summary,
            description=command.description or None,
            parameters=[*command.target.parameters, *command.parameters],
            request=command.input,
            responses={
                command.status: reply.serializer,
                **problem_responses(*command.problems),
            },
        )
        namespace: dict[str, Any] = {"post": schema(post), "__doc__": None}
        if read is None:
            namespace["permission_classes"] = [command.permission]
            namespace["serializer_class"] = command.input or reply.serializer
            base: type[GenericAPIView[Any]] = GenericAPIView
        else:
            namespace["get_permissions"] = _by_method(read, command)
            base = read
        name = "".join(part.title() for part in command.name.split("-")) + "Command"
        return type(name, (base,), {"__module__": command.run.__module__, **namespace})


def _by_method(
    read: type[GenericAPIView[Any]], command: Command
) -> Callable[[GenericAPIView[Any]], Sequence[BasePermission]]:
    """Reads keep the read view's permissions; every other method needs the command's."""

    def get_permissions(self: GenericAPIView[Any]) -> Sequence[BasePermission]:
        if self.request.method in SAFE_METHODS:
            return [permission() for permission in read.permission_classes]  # type: ignore[misc]
        return [command.permission()]

    return get_permissions
