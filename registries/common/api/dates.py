"""Date and time fields bounded to the registries' calendar.

A registry date lies between 1800-01-01 and 2199-12-31: the centuries an
Estonian personal code can name (its first digit, 1 to 8). Bounding input to
them keeps every derived value (a time zone shift, a deadline, the day after)
inside what Python's ``date`` can hold, so a date like ``0001-01-01`` is a
400 naming the field, never an overflow deep in the code (a 500).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rest_framework import serializers

FIRST_DAY = date(1800, 1, 1)
LAST_DAY = date(2199, 12, 31)
OUT_OF_RANGE = f"A date between {FIRST_DAY} and {LAST_DAY} is required."


def check_registry_date(day: date) -> None:
    """Refuse (ValidationError) a day outside the registries' calendar."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise serializers.ValidationError(OUT_OF_RANGE, code="date_out_of_range")


class RegistryDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` date within the registries' calendar."""

    def to_internal_value(self, value: Any) -> date:
        """Parse the date, then check its range."""
        day = super().to_internal_value(value)
        check_registry_date(day)
        return day


class RegistryDateTimeField(serializers.DateTimeField):
    """An ISO 8601 moment whose day lies within the registries' calendar."""

    def enforce_timezone(self, value: datetime) -> datetime:
        """Check the range before converting zones (the conversion is what overflows)."""
        check_registry_date(value.date())
        return super().enforce_timezone(value)
