"""Fixtures of the business registry's tests."""

from __future__ import annotations

import pytest

from tests.registries.business.helpers import BOARD, FOUNDER, OTHER
from tests.registries.identity.helpers import person


@pytest.fixture
def people(event_store: None) -> tuple[str, str, str]:
    """The founder, board member and other person of these tests, in the population register."""
    person("Mari", "Tamm", code=FOUNDER)
    person("Kati", "Kask", code=BOARD)
    person("Liis", "Saar", code=OTHER)
    return FOUNDER, BOARD, OTHER
