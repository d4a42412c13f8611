"""Every shell example of README.md and docs/*.md runs, as written, against a demo instance.

The blocks are found and classified by :mod:`tests.docs.examples`. One demo
instance serves the whole session, as ``make run`` would: ``manage.py demo``
on a fresh data folder, then ``manage.py serve`` on a free port (a devnet that
takes each block to ``witnessed`` at once, sealing every half second). Each
document's shell examples run in order in ONE shell session, so a variable
set in one block (``$MARI``) is known in the next, in a working folder of
the document's own with what a reader's checkout has at hand:

* ``var`` -> the demo's data folder (``var/demo-keys/``, ``var/demo.env``);
* ``manage.py`` and ``chain/`` -> the project's, and ``.venv/bin/python`` and
  ``python`` -> the interpreter running the tests, with the project on
  ``PYTHONPATH``;
* ``make run`` does nothing (the demo instance is serving) and
  ``127.0.0.1:8000`` is the demo instance's address (also ``RIIK_SERVER``).

A block the test cannot run says so in the document, right above it, with
``<!-- example: not run in CI: <why> -->``; those are counted below and kept few.
The instance is always embedded (SQLite), so the examples run in CI's SQLite
pass and are skipped in its PostgreSQL pass, which would repeat them exactly
(ADR 0067).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain.verify import STANDALONE_FILES
from tests.docs.examples import SERVER_COMMANDS, Block, blocks

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCUMENTED_ADDRESS = "127.0.0.1:8000"
MOST_NOT_RUN = 7
"""At most this many examples may be marked as not run in CI."""

# The demo's size: big enough for every example (business seq 17, blocks 3 and 4),
# small enough to seed in seconds.
DEMO = ["--seed", "7", "--persons", "60", "--companies", "12", "--units", "15"]
DEMO += ["--cases", "4", "--patients", "8", "--wallets", "5"]
STARTUP_SECONDS = 120
DOCUMENT_SECONDS = 120
MARK = "@@riik-example"

pytestmark = pytest.mark.slow


def _all_blocks() -> list[Block]:
    return [block for doc in DOCUMENTS for block in blocks(doc.relative_to(ROOT), doc.read_text())]


def _shell_documents() -> list[Path]:
    return sorted({block.document for block in _all_blocks() if block.kind == "shell"})


@dataclass(frozen=True)
class DemoInstance:
    """A served demo: its address, its data folder and the environment its clients use."""

    address: str
    data: Path
    environment: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(data: Path, address: str) -> dict[str, str]:
    """The embedded mode on a fresh data folder, whatever database the suite runs on."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL"} and not key.startswith("PYTEST")
    }
    environment.update(
        RIIK_DATA_DIR=str(data),
        RIIK_CONSENSUS="devnet",
        RIIK_DEVNET_STEPWISE="0",
        RIIK_BLOCK_INTERVAL="0.5",
        RIIK_SERVER=f"http://{address}",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return environment


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            printed = log.read_text(errors="replace")[-4000:]
            pytest.fail(f"the demo server exited with {server.returncode}:\n{printed}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/chain/blocks/", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the demo server did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInstance]:
    """``make run`` for the documents: a seeded demo served on a free port."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # The demo instance always runs embedded (SQLite), as `make run` does: on the
        # PostgreSQL pass of CI it would repeat the SQLite pass's run exactly.
        pytest.skip("the documents' examples run once, in the embedded (SQLite) pass")
    data = tmp_path_factory.mktemp("demo") / "var"
    data.mkdir()
    address = f"127.0.0.1:{_free_port()}"
    environment = _environment(data, address)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v", "0"], ["demo", *DEMO]):
        done = subprocess.run(
            [*manage, *command],
            cwd=data.parent,
            env=environment,
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS,
        )
        if done.returncode != 0:
            pytest.fail(
                f"manage.py {command[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
            )
    log_file = data.parent / "server.log"
    log = log_file.open("wb")
    server = subprocess.Popen(
        [*manage, "serve", address], cwd=data.parent, env=environment, stdout=log, stderr=log
    )
    try:
        _wait_until_serving(f"http://{address}", server, log_file)
        yield DemoInstance(address, data, environment)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _reader_folder(folder: Path, instance: DemoInstance) -> None:
    """What a reader's checkout has: var/, manage.py, chain/, .venv/bin/python, python."""
    folder.mkdir()
    (folder / "var").symlink_to(instance.data)
    (folder / "manage.py").symlink_to(ROOT / "manage.py")
    (folder / "chain").symlink_to(ROOT / "chain")  # the auditor copies the verifier's files
    for place in (folder / ".venv" / "bin", folder / "bin"):
        place.mkdir(parents=True)
        for name in ("python", "python3"):
            wrapper = place / name
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            wrapper.chmod(0o755)


def _script(examples: list[Block], address: str) -> str:
    """One shell session: each example after a line naming it; the first failure stops it."""
    lines = ["set -eo pipefail", "exec 2>&1"]
    for block in examples:
        text = block.text.replace(DOCUMENTED_ADDRESS, address)
        text = "\n".join(
            f": {line.strip()}: the demo instance is serving"
            if line.strip() in SERVER_COMMANDS
            else line
            for line in text.splitlines()
        )
        # On a line of its own, even after output that ends without a newline.
        lines += [f"printf '\\n{MARK} {block.line}\\n'", text]
    return "\n".join(lines) + "\n"


def _failure(document: Path, examples: list[Block], output: str, status: int | str) -> str:
    """The failing example's place, its text and what it printed."""
    started = re.findall(rf"^{MARK} (\d+)$", output, flags=re.MULTILINE)
    line = int(started[-1]) if started else examples[0].line
    block = next(block for block in examples if block.line == line)
    printed = output.rsplit(f"{MARK} {line}\n", 1)[-1]
    return (
        f"{document}:{line}: the example failed ({status}):\n"
        f"{block.text}\n--- it printed ---\n{printed[-4000:]}"
    )


@pytest.mark.parametrize("document", _shell_documents(), ids=str)
def test_every_shell_example_runs_as_written(
    document: Path, demo_instance: DemoInstance, tmp_path: Path
) -> None:
    examples = [b for b in _all_blocks() if b.document == document and b.kind == "shell"]
    folder = tmp_path / "reader"
    _reader_folder(folder, demo_instance)
    environment = {
        **demo_instance.environment,
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(folder),
    }
    try:
        done = subprocess.run(
            ["bash", "-c", _script(examples, demo_instance.address)],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=DOCUMENT_SECONDS,
        )
    except subprocess.TimeoutExpired as timeout:
        stdout = timeout.stdout or ""
        output = stdout if isinstance(stdout, str) else stdout.decode(errors="replace")
        pytest.fail(_failure(document, examples, output, f"over {DOCUMENT_SECONDS} s"))
    if done.returncode != 0:
        pytest.fail(_failure(document, examples, done.stdout, f"exit {done.returncode}"))


def test_no_example_mixes_commands_with_lines_it_would_not_run() -> None:
    mixed = [block.where for block in _all_blocks() if block.kind == "mixed"]
    assert mixed == [], f"split these blocks into commands and requests or output: {mixed}"


def test_the_examples_not_run_in_ci_are_few_and_say_why() -> None:
    skipped = [block for block in _all_blocks() if block.kind == "skipped"]
    for block in skipped:
        print(f"not run in CI: {block.where}: {block.why_skipped}")
    assert all(len(block.why_skipped.split()) >= 2 for block in skipped)
    assert len(skipped) <= MOST_NOT_RUN, [block.where for block in skipped]


def test_the_auditor_guide_lists_exactly_the_standalone_verifiers_files() -> None:
    guide = ROOT / "docs" / "guide-auditor.md"
    listed = {
        word
        for block in blocks(guide.relative_to(ROOT), guide.read_text())
        for line in block.text.splitlines()
        for word in line.split()
        if re.fullmatch(r"chain/[\w/]+\.py", word)
    }
    assert listed == set(STANDALONE_FILES)
