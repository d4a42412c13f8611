"""An official's static API token is stored only as a digest, so a dump of the
database signs nobody in, and it acts only in the one role it was made for."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from registries.common.models import ApiToken
from tests.registries.identity.helpers import appoint, official, person
from tests.registries.property.helpers import cadastral_code, owner

pytestmark = pytest.mark.usefixtures("event_store")

LAND_UNITS = "/api/v1/property/land-units/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def api_token(code: str, role: str) -> str:
    """A token made the way an operator makes one for an official's script."""
    get_user_model().objects.get_or_create(username=code)
    out = StringIO()
    call_command("api_token", code, role=role, stdout=out)
    return out.getvalue().strip()


def client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def database_dump() -> str:
    """Every row of every table, as text (what a backup or a leaked dump holds)."""
    dump: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def land_unit() -> dict[str, object]:
    return {
        "cadastral_code": cadastral_code(),
        "area_m2": 5_400,
        "purpose": "agricultural",
        "address": "Mäe talu, Kose vald",
        "owners": [{"owner": owner(), "share": "1/1"}],
    }


def test_a_database_dump_contains_no_usable_token() -> None:
    registrar = official("property", "registrar")
    token = api_token(registrar, "property/registrar")
    assert client(token).post(LAND_UNITS, land_unit(), format="json").status_code == 201
    dump = database_dump()
    assert token not in dump
    for stored in ApiToken.objects.values_list("key_hash", flat=True):
        response = client(stored).post(LAND_UNITS, land_unit(), format="json")
        assert response.status_code == 401, response.content


def test_a_token_for_one_role_is_refused_for_another_roles_endpoints() -> None:
    code = person("Jaan", "Kask")
    appoint(code, "business", "registrar")
    appoint(code, "property", "registrar")
    as_business_registrar = client(api_token(code, "business/registrar"))
    response = as_business_registrar.post(LAND_UNITS, land_unit(), format="json")
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == "only a registrar of the property registry may do this"
    as_property_registrar = client(api_token(code, "property/registrar"))
    assert as_property_registrar.post(LAND_UNITS, land_unit(), format="json").status_code == 201


def test_a_token_is_made_only_for_a_role_the_official_holds() -> None:
    code = official("business", "registrar")
    with pytest.raises(CommandError, match="does not hold the role 'property/registrar'"):
        api_token(code, "property/registrar")
