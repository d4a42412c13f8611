"""TEMPORARY (not committed): which product files one title transfer passes, API POST to a sealed block."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from chain.blocks.sealing import seal_pending
from tests.registries.property.test_api import registrar, signed, url  # noqa: F401
from tests.registries.property.helpers import notary, owner, register_unit

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = str(Path(__file__).resolve().parents[3]) + os.sep


def _trace(action):
    files: dict[str, int] = {}

    def profile(frame, event, arg):
        if event == "call":
            name = frame.f_code.co_filename
            if name.startswith(ROOT) and "/tests/" not in name and frame.f_code.co_name != "<module>":
                rel = name[len(ROOT):]
                files[rel] = files.get(rel, 0) + 1

    sys.setprofile(profile)
    try:
        result = action()
    finally:
        sys.setprofile(None)
    return result, files


def test_trace(registrar) -> None:  # noqa: F811
    for warm in (True, False):
        seller, buyer = owner(), owner("Jaan", "Kask")
        code, clerk = register_unit([(seller, "1/1")]), notary()
        seal_pending()
        data = signed(code, clerk, [seller], [(buyer, "1/1")])
        response, post = _trace(lambda: registrar.post(url(code, "transfers/"), data, format="json"))
        assert response.status_code == 201, response.content
        block, sealing = _trace(seal_pending)
        assert block is not None
    both = {**post}
    for k, v in sealing.items():
        both[k] = both.get(k, 0) + v
    out = os.environ.get("TRACE_OUT", "/tmp/trace.txt")
    with open(out, "w") as f:
        f.write(f"post {len(post)} seal {len(sealing)} union {len(both)}\n")
        for name in sorted(both):
            f.write(f"{name} {post.get(name, 0)} {sealing.get(name, 0)}\n")
