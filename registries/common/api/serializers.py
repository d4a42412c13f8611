"""Serializer pieces every registry's API uses: strict JSON fields, named
enums, and where a record stands on the chain (its ledger status and history)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chain.blocks.status import status_at, with_blocks
from chain.ledger.models import LedgerEntry
from registries.common.public import names_are_public
from registries.common.texts import EVENT_LABELS


def json_kind(value: Any) -> str:
    """How an error message names the JSON type of ``value``."""
    if value is None:
        return "null"
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        (float, "a decimal number"),
        (int, "a number"),
        (str, "a string"),
        (list, "a list"),
        (dict, "an object"),
    ]
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return type(value).__name__


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be a JSON integer: no floats, strings or booleans."""

    default_error_messages = {
        "not_an_integer": gettext_lazy("A whole number (JSON integer) is required, not {kind}."),
    }

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer", kind=json_kind(data))
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string that must be a JSON string (numbers are not silently converted)."""

    default_error_messages = {"not_a_string": gettext_lazy("A string is required, not {kind}.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string", kind=json_kind(data))
        return super().to_internal_value(data)


_ENUM_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def enum_field(
    component: str, choices: list[str], description: str, **kwargs: Any
) -> serializers.ChoiceField:
    """A choice field documented as its own named enum component (``CourtCaseKind``).

    Named explicitly so that drf-spectacular never has to guess a name for a
    ``kind`` or ``status`` enum that several registries have. (The annotation
    goes on a class of its own: DRF copies field instances by re-creating
    them, which would drop an annotation on the instance.)
    """
    field_class = _ENUM_FIELDS.get(component)
    if field_class is None:
        schema = {"type": "string", "enum": choices, "description": description}
        field_class = type(f"{component}Field", (serializers.ChoiceField,), {})
        extend_schema_field(schema, component_name=component)(field_class)
        _ENUM_FIELDS[component] = field_class
    return field_class(choices=choices, **kwargs)


def ledger_status_serializer(
    component: str, seq_help: str = "Ledger seq of the latest event"
) -> type[serializers.Serializer[Any]]:
    """The serializer of where a registry's record stands on the chain, documented
    as the OpenAPI component ``component`` (each registry keeps its own name)."""
    fields: dict[str, Any] = {
        "__doc__": "Where a record's latest event stands on the chain.",
        "__module__": __name__,
        "registry": serializers.CharField(),
        "seq": serializers.IntegerField(allow_null=True, help_text=seq_help),
        "block_height": serializers.IntegerField(
            allow_null=True, help_text="First block that includes it (null while pending)"
        ),
        "level": serializers.CharField(help_text="pending, sealed, committed, final or witnessed"),
        "Meta": type("Meta", (), {"ref_name": component}),
    }
    return type(f"{component}Serializer", (serializers.Serializer,), fields)


def history_entry_serializer(
    component: str,
    description: str,
    events: str,
    *,
    version_help: str | None = "",
) -> type[serializers.Serializer[Any]]:
    """The serializer of one event of a record on a registry's ledger (what
    :func:`ledger_history` returns), documented as the OpenAPI component
    ``component``: ``description`` says whose, ``events`` names examples;
    ``version_help=None`` leaves out the originator version (the identity
    registry does not publish it)."""
    fields: dict[str, Any] = {
        "__doc__": description,
        "__module__": __name__,
        "seq": serializers.IntegerField(),
        "event": serializers.CharField(help_text=f"Event name, such as {events}"),
        "label": serializers.CharField(
            help_text="What the event is called, in the request's language (Accept-Language)"
        ),
    }
    if version_help is not None:
        fields["originator_version"] = serializers.IntegerField(help_text=version_help or None)
    fields.update(
        {
            "recorded_at": serializers.CharField(),
            "entry_hash": serializers.CharField(help_text="Hex SHA-256 of the chained entry"),
            "block_height": serializers.IntegerField(allow_null=True),
            "level": serializers.CharField(),
            "Meta": type("Meta", (), {"ref_name": component}),
        }
    )
    return type(f"{component}Serializer", (serializers.Serializer,), fields)


def event_name(topic: str) -> str:
    """``registries.business.domain:Company.AddressChanged`` -> ``AddressChanged``."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def event_label(topic: str) -> str:
    """What a person reads for the event of ``topic``, in the active language
    (``registries.business.domain:Company.AddressChanged`` -> ``Address changed``)."""
    label = EVENT_LABELS.get(topic.rsplit(":", 1)[-1])
    return gettext(label) if label is not None else event_name(topic)


def ledger_history(registry: str, aggregate_id: UUID) -> list[dict[str, Any]]:
    """An aggregate's ledger entries, oldest first, each with its block and level.

    One query, however long the history. The aggregate id itself is not
    included (a person's id is not public).
    """
    entries = LedgerEntry.objects.filter(registry=registry, originator_id=aggregate_id)
    history = []
    fields = ("seq", "topic", "originator_version", "recorded_at", "entry_hash")
    for entry in with_blocks(entries.order_by("seq"), *fields):
        status = status_at(registry, entry["seq"], entry["block_height"], entry["block_level"])
        history.append(
            {
                "seq": entry["seq"],
                "event": event_name(entry["topic"]),
                "label": event_label(entry["topic"]),
                "originator_version": entry["originator_version"],
                "recorded_at": entry["recorded_at"],
                "entry_hash": bytes(entry["entry_hash"]).hex(),
                "block_height": status.block_height,
                "level": status.level,
            }
        )
    return history


def names_field(whose: str, registry: str) -> serializers.DictField:
    """The schema of a card's ``names``: code -> name of the people and organisations
    it shows (``whose``), beside their codes: for anyone where ``registry`` makes
    the names public (:mod:`registries.common.public`), else for a signed-in viewer."""
    who = (
        "Public: for every caller"
        if names_are_public(registry)
        else "Only for a signed-in caller (empty for anonymous ones)"
    )
    return serializers.DictField(
        child=serializers.CharField(),
        help_text=f"Names by personal or registry code: {whose}. {who}; codes unknown to "
        "the identity registry are left out",
    )


def shows_names(serializer: serializers.BaseSerializer[Any], registry: str) -> bool:
    """Whether the caller may read names beside the codes on ``registry``'s records:
    anyone where the register makes them public (the business register's cards), a
    signed-in caller elsewhere (:mod:`registries.common.public`; tests/security)."""
    if names_are_public(registry):
        return True
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
