"""Fixtures of the registries' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    """Each test starts with no request or failure counts from another (throttles, sign-in)."""
    cache.clear()
    yield
    cache.clear()
