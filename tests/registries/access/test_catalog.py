"""The command catalog: what it generates and the mistakes it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from registries.access.catalog import Catalog
from registries.business.commands import COMMANDS as BUSINESS
from registries.business.commands import COMPANY
from registries.court.commands import COMMANDS as COURT
from registries.health.commands import COMMANDS as HEALTH
from registries.identity_desk.commands import COMMANDS as IDENTITY
from registries.property.commands import COMMANDS as PROPERTY
from registries.tracker.commands import COMMANDS as TRACKER

CATALOGS = [BUSINESS, COURT, HEALTH, IDENTITY, PROPERTY, TRACKER]


class Search(GenericAPIView[Any]):
    """A read view."""

    permission_classes = [AllowAny]


def test_a_read_view_at_a_path_no_command_has_is_refused() -> None:
    with pytest.raises(ValueError, match="companies/nowhere/"):
        BUSINESS.urlpatterns(reads={"companies/nowhere/": Search})


def test_the_admin_offers_the_commands_of_its_target_that_have_a_form() -> None:
    assert list(BUSINESS.on(COMPANY)) == [
        "address",
        "board",
        "capital",
        "annual-report",
        "liquidation",
        "deletion",
    ]


@pytest.mark.parametrize("catalog", CATALOGS)
def test_every_command_has_a_way_in_and_a_unique_name(catalog: Catalog) -> None:
    names = [command.name for command in catalog.commands]
    assert len(names) == len(set(names))
    for command in catalog.commands:
        assert command.url_name or command.form is not None, command.name
        assert not command.url_name or command.reply is not None, command.name
