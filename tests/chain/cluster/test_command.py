"""``manage.py cluster`` refuses to start without a broker, saying why."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


@override_settings(CELERY_BROKER_URL="")
def test_cluster_without_a_broker_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="CELERY_BROKER_URL"):
        call_command("cluster", "--seconds", "1")
