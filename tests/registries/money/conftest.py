"""Fixtures of the money registry's tests: this node's supernode key in a fresh folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from chain.blocks.nodekeys import forget_keys


@pytest.fixture(autouse=True)
def own_keys(tmp_path: Path) -> Iterator[Path]:
    """A key folder of the test's own: the local supernode key certifies the acts."""
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()
