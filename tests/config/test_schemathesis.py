"""schemathesis fuzzes the whole committed schema against the app, anonymous and signed in.

Every operation of docs/openapi.yaml (whatever registries it holds, so also
those merged later) gets generated requests, valid and invalid, sent through
the WSGI application on the test database, with all of schemathesis's checks
on: no 5xx, every status, content type, header and body as the schema says,
invalid data refused, valid data not refused for being malformed. The number
of examples per operation is bounded (``RIIK_FUZZ_EXAMPLES``, default 5) to
keep the run within a few minutes on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from config.wsgi import application
from tests.registries.access.citizens import citizen, sign_in_response

SCHEMA = schemathesis.openapi.from_path(Path(django_settings.BASE_DIR) / "docs" / "openapi.yaml")
SCHEMA.app = application
EXAMPLES = int(os.environ.get("RIIK_FUZZ_EXAMPLES", "5"))

fuzzed = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

pytestmark = [pytest.mark.usefixtures("event_store"), pytest.mark.slow, pytest.mark.fuzz]


@pytest.fixture(autouse=True)
def _no_throttling(settings: Any) -> Iterator[None]:
    # The fuzzer sends far more requests a minute than a person would.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def bearer() -> dict[str, str]:
    """A citizen signed in with their e-ID key."""
    from rest_framework.test import APIClient

    code, key = citizen()
    token = sign_in_response(APIClient(), code, key).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@SCHEMA.parametrize()
@fuzzed
def test_anonymous_requests_conform_to_the_schema(case: Any) -> None:
    case.call_and_validate()


@SCHEMA.parametrize()
@fuzzed
def test_signed_in_requests_conform_to_the_schema(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer)
