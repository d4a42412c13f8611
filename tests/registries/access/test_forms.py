"""The admin's command forms, generated from the commands' input serializers (no database)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from rest_framework import serializers

from registries.access.forms import AdminForm, Ask, command_form
from registries.common.api.serializers import StrictCharField, StrictIntegerField
from registries.common.errors import InvalidCommand


class Payment(serializers.Serializer[Any]):
    """An input serializer as a registry's API declares one."""

    amount_cents = StrictIntegerField(min_value=1, max_value=1_000_00)
    creditor = StrictCharField(max_length=8)
    reference = StrictCharField(max_length=20, required=False, default="none")
    note = StrictCharField(max_length=20, required=False)
    reason = StrictCharField(max_length=2000)
    public = serializers.BooleanField(default=True)


VALID = {"amount_euros": "12.34", "creditor": "10000000", "reason": "rent", "public": "on"}


def test_cents_are_asked_in_euros_and_handed_to_the_command_in_cents() -> None:
    form = command_form(AdminForm(ask={"amount_cents": Ask(label="Amount (€)")}), Payment)(VALID)
    assert form.is_valid(), form.errors
    assert form.command_data()["amount_cents"] == 1234
    assert form.fields["amount_euros"].label == "Amount (€)"


def test_the_serializers_limits_hold_on_the_form() -> None:
    form = command_form(AdminForm(), Payment)({**VALID, "amount_euros": "1000.01"})
    assert not form.is_valid()
    assert "amount_euros" in form.errors
    long = command_form(AdminForm(), Payment)({**VALID, "creditor": "123456789"})
    assert not long.is_valid()
    assert "creditor" in long.errors


def test_an_optional_field_left_empty_is_what_the_api_makes_of_it() -> None:
    form = command_form(AdminForm(), Payment)({**VALID, "reference": "", "note": ""})
    assert form.is_valid(), form.errors
    data = form.command_data()
    assert data["reference"] == "none"
    assert "note" not in data


def test_a_box_the_api_ticks_by_default_starts_ticked_and_an_unticked_one_is_false() -> None:
    form_class = command_form(AdminForm(), Payment)
    assert form_class().fields["public"].initial is True
    form = form_class({key: value for key, value in VALID.items() if key != "public"})
    assert form.is_valid(), form.errors
    assert form.command_data()["public"] is False


def test_a_long_text_is_asked_in_a_text_area() -> None:
    fields = command_form(AdminForm(), Payment)().fields
    assert isinstance(fields["reason"].widget, forms.Textarea)
    assert not isinstance(fields["creditor"].widget, forms.Textarea)


def test_a_path_parameter_is_chosen_among_the_records_entries_and_asked_first() -> None:
    spec = AdminForm(
        ask={"rank": Ask(label="Mortgage", coerce=int, choices=lambda record: record.ranks)}
    )
    record = SimpleNamespace(ranks=[(2, "rank 2"), (3, "rank 3")])
    form = command_form(spec, Payment)({**VALID, "rank": "3"}, record=record)
    assert list(form.fields) == [
        "rank",
        "amount_euros",
        "creditor",
        "reference",
        "note",
        "reason",
        "public",
    ]
    assert form.is_valid(), form.errors
    assert form.command_data()["rank"] == 3
    assert not command_form(spec, Payment)({**VALID, "rank": "4"}, record=record).is_valid()


def test_a_refusal_naming_the_apis_field_shows_on_the_forms_field() -> None:
    form = command_form(AdminForm(), Payment)(VALID)
    assert form.is_valid()
    form.add_registry_error(InvalidCommand("amount_cents: more than the wallet holds"))
    assert form.errors["amount_euros"] == ["more than the wallet holds"]


def test_a_confirmation_asks_only_for_the_tick() -> None:
    form_class = command_form(AdminForm(confirm="Delete it"), Payment)
    assert list(form_class().fields) == ["confirm"]
    assert not form_class({}).is_valid()
    form = form_class({"confirm": "on"})
    assert form.is_valid()
    assert form.command_data() == {}


def test_a_form_asking_for_what_the_serializer_lacks_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="rank"):
        command_form(AdminForm(ask={"rank": Ask(label="Mortgage")}), Payment)
    with pytest.raises(ValueError, match="nothing"):
        command_form(AdminForm(omit=("nothing",)), Payment)


def test_a_completion_adds_what_the_form_does_not_ask_and_its_refusal_shows_on_the_form() -> None:
    def signed(record: Any, data: dict[str, Any]) -> dict[str, Any]:
        if data["amount_cents"] > 2000:
            raise InvalidCommand("amount_cents: too much to sign")
        return {"signature": f"{record.key}:{data['amount_cents']}"}

    spec = AdminForm(omit=("note",), completes=signed)
    record = SimpleNamespace(key="k1")
    form = command_form(spec, Payment)(VALID, record=record)
    assert form.is_valid(), form.errors
    assert form.command_data()["signature"] == "k1:1234"
    refused = command_form(spec, Payment)({**VALID, "amount_euros": "20.01"}, record=record)
    assert not refused.is_valid()
    assert refused.errors["amount_euros"] == ["too much to sign"]
