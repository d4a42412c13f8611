"""The admin's command forms, generated from the commands' API input serializers.

A command's fields are declared once, in its DRF input serializer; the admin
asks for the same fields with the serializer's limits, in other words only where
the catalog's :class:`AdminForm` says so (:class:`Ask`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.fields import empty

from registries.common.errors import RegistryError
from registries.common.texts import N_

__all__ = ["AdminForm", "Ask", "CodesField", "CommandForm", "EuroField", "command_form", "to_cents"]

_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*): (.+)$", re.DOTALL)
# A text the API takes up to this long is asked in a text area, not on one line.
_TEXT_AREA_FROM = 1000
_CENTS, _EUROS = "_cents", "_euros"
# A text the API checks by a pattern, not a length, is still taken only up to this long.
_LONGEST_PATTERN_TEXT = 200


class CommandForm(forms.Form):
    """A form that issues one registry command.

    ``record`` is the read model the command acts on (None for an addition).
    ``field_aliases`` maps field names in the registry's messages to this
    form's fields, so a refused command's message appears next to the right
    field.
    """

    field_aliases: ClassVar[dict[str, str]] = {}

    def command_data(self) -> dict[str, Any]:
        """The command's data in the API's words (the cleaned data, unless a form
        asks in other units, such as euros for cents)."""
        return dict(self.cleaned_data)

    def __init__(self, *args: Any, record: Any = None, **kwargs: Any) -> None:
        self.record = record
        super().__init__(*args, **kwargs)
        # Labels and help come from the catalog and the API's serializers, marked with N_,
        # or are the API's field name, which is also the read model's field (whose
        # verbose name is marked): translated here, in the request's language.
        for name, asked in self.fields.items():
            label = str(asked.label) if asked.label else name.replace("_", " ")
            asked.label = capfirst(gettext(label))
            if asked.help_text:
                asked.help_text = gettext(str(asked.help_text))

    def add_registry_error(self, error: RegistryError) -> None:
        """Show a refused command's message on its field, or on the whole form."""
        message = error.translated(gettext)
        match = _FIELD_PREFIX.match(message)
        if match:
            name = self.field_aliases.get(match.group(1), match.group(1))
            if name in self.fields:
                self.add_error(name, match.group(2))
                return
        self.add_error(None, message)


def to_cents(amount: Decimal) -> int:
    """Euros with at most two decimals, as whole cents (what the API takes)."""
    return int((amount * 100).to_integral_value())


class EuroField(forms.DecimalField):
    """An amount in euros with at most two decimals, up to ``max_cents`` (the API's limit)."""

    def __init__(self, *, max_cents: int, min_value: Decimal = Decimal(0), **kwargs: Any) -> None:
        super().__init__(
            max_digits=16,
            decimal_places=2,
            min_value=min_value,
            max_value=Decimal(max_cents) / 100,
            **kwargs,
        )


class CodesField(forms.CharField):
    """Personal or registry codes, one per line (commas and spaces also separate them)."""

    def __init__(self, *, rows: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows, "cols": 24}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [code for code in re.split(r"[\s,;]+", text) if code]


Choices = list[tuple[Any, str]]


@dataclass(frozen=True)
class Ask:
    """How the admin asks for one field, where the serializer's field does not say it.

    ``label`` and ``help_text`` replace the generated ones; ``text`` asks in a
    text area; ``choices`` names a choice field's values (a mapping), or, as
    ``choices(record)``, offers the record's own entries (such as its
    mortgages; ``coerce`` turns the chosen value back into the API's type);
    ``initial`` is the value the form starts with (``initial(record)``: read
    from the record the command acts on). ``field`` is the
    whole form field where no rule fits (such as owners with their shares) and
    ``to_api`` turns its value into the API's. A field the serializer does not
    have (a path parameter, such as a hearing's number) is asked for first;
    ``name`` is the form's name of the field where it differs from the API's.
    """

    label: str = ""
    help_text: str = ""
    text: bool = False
    choices: Mapping[str, str] | Callable[[Any], Choices] | None = None
    coerce: Callable[[Any], Any] = str
    initial: Any = None
    field: forms.Field | None = None
    to_api: Callable[[Any], Any] | None = None
    name: str = ""


@dataclass(frozen=True)
class AdminForm:
    """The admin's form of a command, generated from its input serializer.

    ``ask`` says, per field, how the ministry is asked (:class:`Ask`);
    ``omit`` leaves out the fields the admin does not ask for; ``aliases`` names
    a field the registry's refusals call by another name (``board`` for
    ``members``), so that the refusal shows on it;
    ``serializer`` is the input of a command that has none for the API (an
    admin-only command); ``confirm``, if given, is the one checkbox of a form
    that asks nothing else (the record says everything the command needs).
    ``completes(record, data)``, if given, adds what the admin does not ask for
    to the command's data when the form is sent (such as a certificate collected
    over the asked terms); a registry's refusal from it shows on the form.
    """

    ask: Mapping[str, Ask] = field(default_factory=dict)
    omit: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    serializer: type[serializers.BaseSerializer[Any]] | None = None
    confirm: str = ""
    completes: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class _Asked:
    """One generated form field: the API's name of it, the form field, how its value
    becomes the API's, and the API's default (``empty``: none) that an optional field
    left empty takes."""

    api: str
    field: forms.Field
    to_api: Callable[[Any], Any] | None
    default: Any
    required: bool


def _limits(drf: serializers.Field[Any, Any, Any, Any]) -> dict[str, Any]:
    limits = {name: getattr(drf, name, None) for name in ("min_value", "max_value")}
    return {name: limit for name, limit in limits.items() if limit is not None}


def _choice_labels(choices: Mapping[str, str] | None, values: Any) -> Choices:
    names = choices or {}
    return [(value, names.get(value, value)) for value in values]


Generated = tuple[str, forms.Field, Callable[[Any], Any] | None]
"""A generated field: its name on the form, the field, and how its value becomes the API's."""


def _generated(name: str, drf: Any, ask: Ask) -> Generated:
    """The form field that asks for the serializer's field ``name`` (a rule per kind of field)."""
    common: dict[str, Any] = {"required": bool(drf.required) and not drf.allow_null}
    if ask.label:
        common["label"] = ask.label
    if ask.help_text or drf.help_text:
        common["help_text"] = ask.help_text or drf.help_text
    if isinstance(drf, serializers.IntegerField) and name.endswith(_CENTS):
        minimum = Decimal(drf.min_value or 0) / 100
        euros = EuroField(max_cents=int(drf.max_value or 0), min_value=minimum, **common)
        return name.removesuffix(_CENTS) + _EUROS, euros, to_cents
    if callable(ask.choices):
        return name, forms.TypedChoiceField(coerce=ask.coerce, **common), None
    if isinstance(drf, serializers.BooleanField):
        return name, forms.BooleanField(**{**common, "required": False}), None
    if isinstance(drf, serializers.ChoiceField):
        choices = _choice_labels(ask.choices, drf.choices)
        return name, forms.ChoiceField(choices=choices, **common), None
    if isinstance(drf, serializers.ListField):
        if isinstance(drf.child, serializers.ChoiceField):
            choices = _choice_labels(ask.choices, drf.child.choices)
            boxes = forms.CheckboxSelectMultiple
            return name, forms.MultipleChoiceField(choices=choices, widget=boxes, **common), None
        return name, CodesField(**common), None
    if isinstance(drf, serializers.IntegerField):
        return name, forms.IntegerField(**_limits(drf), **common), None
    if isinstance(drf, serializers.DateTimeField):
        local = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        common["help_text"] = ask.help_text or N_("Local time (Europe/Tallinn).")
        return name, forms.DateTimeField(widget=local, **common), None
    if isinstance(drf, serializers.DateField):
        day = forms.DateInput(attrs={"type": "date"})
        return name, forms.DateField(widget=day, **common), None
    if isinstance(drf, serializers.CharField):
        long = ask.text or (drf.max_length or 0) >= _TEXT_AREA_FROM
        area = forms.Textarea(attrs={"rows": 3}) if long else None
        longest = drf.max_length or _LONGEST_PATTERN_TEXT
        return name, forms.CharField(max_length=longest, widget=area, **common), None
    kind = type(drf).__name__
    raise TypeError(f"the admin cannot ask for {name!r}, a {kind}: give its Ask a field")


def _asked(name: str, drf: Any, ask: Ask) -> tuple[str, _Asked]:
    if ask.field is not None:
        form_name, field, to_api = ask.name or name, ask.field, ask.to_api
    else:
        form_name, field, to_api = _generated(name, drf, ask)
        form_name, to_api = ask.name or form_name, ask.to_api or to_api
    if drf is None:
        return form_name, _Asked(name, field, to_api, empty, True)
    default = drf.default
    if isinstance(drf, serializers.BooleanField) and isinstance(default, bool):
        # A box the API ticks unless told otherwise starts ticked.
        field.initial = default
    return form_name, _Asked(name, field, to_api, default, bool(drf.required))


def command_form(
    spec: AdminForm, serializer: type[serializers.BaseSerializer[Any]] | None
) -> type[CommandForm]:
    """The admin's form class for a command with ``serializer`` as its input, as ``spec`` says."""
    declared: dict[str, Any] = {}
    source = serializer or spec.serializer
    if source is not None and not spec.confirm:
        declared = dict(source().fields)  # type: ignore[attr-defined]
    unknown = set(spec.omit) - set(declared)
    if unknown:
        raise ValueError(f"the admin form omits fields its serializer does not have: {unknown}")
    asked: dict[str, _Asked] = {}
    # A field the serializer does not have is a path parameter: asked for first.
    for name, ask in spec.ask.items():
        if name not in declared:
            if ask.field is None and not callable(ask.choices):
                raise ValueError(f"the admin form asks for {name!r}, which its input lacks")
            form_name, one = _asked(name, None, ask if ask.field else _picked(ask))
            asked[form_name] = one
    for name, drf in declared.items():
        if name in spec.omit or drf.read_only:
            continue
        form_name, one = _asked(name, drf, spec.ask.get(name, Ask()))
        asked[form_name] = one
    if spec.confirm:
        confirm = forms.BooleanField(label=spec.confirm)
        asked["confirm"] = _Asked("", confirm, None, empty, True)
    starts = {name: spec.ask[one.api] for name, one in asked.items() if one.api in spec.ask}
    return type(
        "GeneratedCommandForm",
        (_GeneratedForm,),
        {
            **{name: one.field for name, one in asked.items()},
            "asked": asked,
            "starts": starts,
            "spec": spec,
            "field_aliases": {
                **{one.api: name for name, one in asked.items() if one.api not in ("", name)},
                **spec.aliases,
            },
        },
    )


def _picked(ask: Ask) -> Ask:
    """A path parameter chosen among the record's entries."""
    field = forms.TypedChoiceField(coerce=ask.coerce, label=ask.label or None)
    return Ask(field=field, choices=ask.choices, name=ask.name)


class _GeneratedForm(CommandForm):
    """A command form generated by :func:`command_form`."""

    asked: ClassVar[dict[str, _Asked]]
    starts: ClassVar[dict[str, Ask]]
    spec: ClassVar[AdminForm]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, ask in self.starts.items():
            if callable(ask.choices):
                field = self.fields[name]
                assert isinstance(field, forms.ChoiceField)
                field.choices = ask.choices(self.record) if self.record is not None else []
            if callable(ask.initial):
                if self.record is not None:
                    self.fields[name].initial = ask.initial(self.record)
            elif ask.initial is not None:
                self.fields[name].initial = ask.initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._api: dict[str, Any] = {}
        for name, one in self.asked.items():
            if not one.api or name not in cleaned:
                continue
            value = cleaned[name]
            if value in (None, "") and not one.required:
                # Left empty: as if the API's caller had left it out.
                if one.default is empty:
                    continue
                value = one.default
            elif one.to_api is not None:
                try:
                    value = one.to_api(value)
                except forms.ValidationError as error:
                    self.add_error(name, error)
                    continue
            self._api[one.api] = value
        completes = self.spec.completes
        if completes is not None and self.record is not None and not self.errors:
            try:
                self._api.update(completes(self.record, self._api))
            except RegistryError as error:
                self.add_registry_error(error)
        return cleaned

    def command_data(self) -> dict[str, Any]:
        return dict(self._api)
