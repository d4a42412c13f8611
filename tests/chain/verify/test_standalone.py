"""The verifier as an auditor runs it: exactly the files the auditor's guide names.

The files of ``STANDALONE_FILES`` are copied into an empty folder and
``python -m chain.verify`` runs there on a real export, with nothing else of
the repository importable (a clean environment, ``PYTHONPATH`` that folder).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from chain.blocks.sealing import seal_pending
from chain.verify import STANDALONE_FILES
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

ROOT = Path(__file__).resolve().parents[3]

# Prints the file of every ``chain`` module ``python -m chain.verify`` loads,
# and any module of Django or the application. Checked because an editable
# install's import finder would quietly fill a ``chain.*`` module missing from
# the folder with the source tree's copy: running the verifier alone would not
# notice a file missing from the list.
LOADED = """
import sys
import chain.verify.__main__
for name, module in sorted(sys.modules.items()):
    if name == "chain" or name.startswith("chain."):
        print("file", module.__file__)
    elif name.split(".")[0] in {"django", "rest_framework", "registries", "config"}:
        print("module", name)
"""


def _auditor_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "auditor"
    for name in STANDALONE_FILES:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    return folder


def _python(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only the folder is importable besides the interpreter's own packages
    # (cryptography); `-I` would ignore PYTHONPATH.
    env = {"PYTHONPATH": str(folder), "PATH": os.environ.get("PATH", os.defpath)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _export(path: Path) -> Path:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Tallinn, Pikk 1", "registrar")
    register_company()
    seal_pending()
    call_command("chain", "export", "--out", str(path), "--no-progress", stdout=io.StringIO())
    return path


def test_the_verifier_loads_exactly_the_standalone_files(tmp_path: Path) -> None:
    folder = _auditor_folder(tmp_path)
    result = _python(folder, "-c", LOADED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("module ")]
    loaded = sorted(Path(line.removeprefix("file ")) for line in lines)
    assert loaded == sorted(folder / name for name in STANDALONE_FILES)


@pytest.mark.usefixtures("event_store")
def test_a_real_export_verifies_with_the_standalone_files_alone(tmp_path: Path) -> None:
    folder = _auditor_folder(tmp_path)
    bundle = _export(tmp_path / "chain.jsonl")

    result = _python(folder, "-m", "chain.verify", str(bundle))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "OK"

    lines = bundle.read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines) if '"type":"entry"' in line)
    record = json.loads(lines[first])
    record["payload"] = "00"
    lines[first] = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = _python(folder, "-m", "chain.verify", str(tampered))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"FAIL: registry {record['registry']} seq {record['seq']}: payload hash mismatch"
    )
