"""The reference client signs out: the token it held never acts again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from registries.common.models import AccessToken
from riik_client import Client, ClientError, load_key
from riik_client.__main__ import main
from tests.riik_client.test_client import resident

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_sign_out_ends_the_token(live_server: Any, tmp_path: Path) -> None:
    mari, key_file = resident(tmp_path, "Mari")
    client = Client(live_server.url)
    client.sign_in(mari, load_key(key_file))
    token = client.token
    assert client.me()["personal_code"] == mari
    client.sign_out()
    assert client.token is None
    client.token = token
    with pytest.raises(ClientError) as refused:
        client.me()
    assert refused.value.status == 401
    assert "signed out" in refused.value.problem["detail"]


def test_the_sign_out_command_leaves_no_token(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mari, key_file = resident(tmp_path, "Mari")
    common = ["--server", live_server.url, "--code", mari, "--key", str(key_file)]
    assert main([*common, "sign-out"]) == 0
    assert json.loads(capsys.readouterr().out) == {"personal_code": mari, "signed_out": True}
    assert AccessToken.objects.get().ended.startswith("signed out")
