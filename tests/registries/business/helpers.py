"""The people of the business registry's tests (registered by the ``people`` fixture)."""

from __future__ import annotations

from datetime import date

from registries.common.codes import personal_code

FOUNDER = personal_code(date(1980, 5, 17), "M", 12)
BOARD = personal_code(date(1975, 2, 3), "F", 7)
OTHER = personal_code(date(1990, 12, 31), "F", 250)
