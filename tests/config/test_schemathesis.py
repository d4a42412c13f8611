"""schemathesis fuzzes the whole committed schema against the app, anonymous, signed
in, and as each official role.

Every operation of docs/openapi.yaml (whatever registries it holds, so also
those merged later) gets generated requests, valid and invalid, sent through
the WSGI application on the test database, with all of schemathesis's checks
on: no 5xx, every status, content type, header and body as the schema says,
invalid data refused, valid data not refused for being malformed. The number
of examples per operation is bounded (``RIIK_FUZZ_EXAMPLES``, default 5) to
keep the run within a few minutes on two cores.

Each official role (:data:`ROLES`) fuzzes the operations of the registry it acts
in (an auditor: the chain's, where auditors read payloads) with a static token
bound to that role, so the requests get past the role checks into the commands
and reads behind them; ``RIIK_FUZZ_ROLE_EXAMPLES`` (default 2) examples per
operation and role keep that part to about as many requests as the anonymous one.
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
from tests.registries.identity import helpers as identity

SCHEMA = schemathesis.openapi.from_path(Path(django_settings.BASE_DIR) / "docs" / "openapi.yaml")
SCHEMA.app = application
EXAMPLES = int(os.environ.get("RIIK_FUZZ_EXAMPLES", "5"))
ROLE_EXAMPLES = int(os.environ.get("RIIK_FUZZ_ROLE_EXAMPLES", "2"))
# Each official role (registry/role), the part of the API it acts in, and the kind of
# organisation it is appointed at (where its commands name one).
ROLES: dict[str, tuple[str, str | None]] = {
    "identity/registrar": ("identity", None),
    "business/registrar": ("business", None),
    "property/registrar": ("property", None),
    "property/notary": ("property", "notary_office"),
    "health/registrar": ("health", None),
    "health/doctor": ("health", "hospital"),
    "health/pharmacist": ("health", "pharmacy"),
    "court/judge": ("court", "court"),
    "court/investigator": ("court", None),
    "court/auditor": ("chain", None),
}

fuzzed = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

as_official = hypothesis_settings(fuzzed, max_examples=ROLE_EXAMPLES)

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


def official_token(role: str) -> dict[str, str]:
    """An official appointed to ``role`` (at an organisation of the right kind) with a
    static token bound to it."""
    registry, name = role.split("/")
    kind = ROLES[role][1]
    code = identity.official(registry, name, identity.organisation(kind) if kind else None)
    user = identity.user_for(code)
    return {"Authorization": f"Token {identity.api_token(user, role)}"}


@pytest.fixture
def official(request: pytest.FixtureRequest, event_store: None) -> dict[str, str]:
    """The headers of an official in the role the test fuzzes as (:func:`fuzz_as`)."""
    return official_token(request.function.fuzzed_role)


def fuzz_as(role: str) -> Any:
    """A test fuzzing the operations of the part of the API ``role`` acts in, as it."""

    @SCHEMA.include(path_regex=f"^/api/v1/{ROLES[role][0]}/").parametrize()
    @as_official
    def test(case: Any, official: dict[str, str]) -> None:
        case.call_and_validate(headers=official)

    test.fuzzed_role = role
    return test


for _role in ROLES:
    globals()[f"test_requests_as_{_role.replace('/', '_')}_conform_to_the_schema"] = fuzz_as(_role)
