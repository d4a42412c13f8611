"""No double spending over real HTTP: several gunicorn workers, one wallet, many clients.

``test_concurrency.py`` races payments inside the application. Here the race
runs the way a citizen meets it: a payer signed in from several sessions
fires signed payment requests through ``riik_client`` at once, to three sync
gunicorn worker processes (as deployed, ``deploy/systemd/riik-web.service``)
on the PostgreSQL test database. Each worker has its own registry
applications, event store pool and ledger writer, so the only thing that
keeps the wallet whole is the event store's version check and the ledger's
one head row in the database. The wallet can afford 20 of the 70 payments
asked of it; some ids are sent twice (a retrying client signs again) and
some signed requests are replayed byte for byte (an eavesdropper). Then the
books are checked in the event store, in the read models, through the API
and on the sealed chain by both verifiers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from chain.blocks.sealing import seal_pending
from registries.common.api.problems import PROBLEM_BASE
from registries.money.domain import Wallet, wallet_id
from registries.money.models import PaymentRecord, WalletRecord
from riik_client.client import Client, ClientError, sign_command, target
from tests.chain.verifiers import verify_both
from tests.factories import database_env
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import Citizen, app, bank, central_bank, citizen, wallet

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.usefixtures("event_store"),
    # Checked before gunicorn starts: on SQLite it would serve a database it cannot share.
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (DATABASE_URL): gunicorn's workers share the test database",
    ),
]

ROOT = Path(__file__).resolve().parents[3]
PAY_PATH = "/api/v1/money/e-services/payments/"
WORKERS = 3
SESSIONS = 4  # the payer signed in on four devices
CLIENT_THREADS = 12  # requests in flight at once: four for each worker
AMOUNT = 100
AFFORDABLE = 20
FUNDS = AFFORDABLE * AMOUNT
DISTINCT = 70  # 3.5 times what the wallet can pay
REPEATED = range(0, DISTINCT, 5)  # sent again, signed anew, from another session
# A signed request captured and sent again as it is, three times each: at these
# places among the payments (below).
REPLAYED = {"replay-0": (1.5, 3.5, 5.5), "replay-1": (8.5, 20.5, 32.5)}
# gunicorn's master imports Django once (--preload) and forks the workers, so
# all three serve from the start; a loaded shared machine still needs time.
STARTUP_SECONDS = 120.0


@dataclass(frozen=True)
class Answer:
    """What the server answered one request: the recorded payment, or the problem
    document it refused the request with and its HTTP status."""

    payment_id: str
    kind: str  # "pay", "repeat" or "replay"
    document: dict[str, Any]
    refused_with: int = 0

    @property
    def paid(self) -> bool:
        """The answer was the recorded payment (201 paid now or 200 paid before)."""
        return not self.refused_with

    @property
    def slug(self) -> str:
        """The problem's kind, from its ``type`` URI."""
        return str(self.document.get("type", "")).removeprefix(PROBLEM_BASE)


@dataclass(frozen=True)
class Server:
    """A gunicorn serving the test database."""

    url: str
    access_log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(server: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/v1/chain/blocks/", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS:.0f} s")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Server]:
    """``gunicorn config.wsgi`` with three sync workers on this test's database.

    The access log names the worker process (``%(p)s``) that answered each
    request, so the test can tell that every worker took part.
    """
    port = _free_port()
    server = Server(f"http://127.0.0.1:{port}", tmp_path / "access.log")
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        **database_env(),
        # The test's data folder (inherited) gives the server the test's secrets, as a
        # deployment's workers share theirs: the pepper of the wallet ids above all.
        "RIIK_KEYS_DIR": str(settings.RIIK_KEYS_DIR),
        # Small pools: the server's connections are shared with the test and others.
        "RIIK_DB_POOL_SIZE": "2",
        "RIIK_DB_POOL_OVERFLOW": "1",
    }
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--preload",
        "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
        "--access-logfile", str(server.access_log),
        "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
        "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        _wait_until_serving(server, process, log)
        yield server
    finally:
        # The whole group: the master and its workers (start_new_session above).
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _session(server: Server, payer: Citizen) -> Client:
    client = Client(server.url, chain_id=settings.RIIK_CHAIN_ID)
    client.sign_in(payer.code, payer.key)
    return client


def _answer(payment_id: str, kind: str, send: Callable[[], Any]) -> Answer:
    """Send one request; the client hands back the body only (201 and 200 are counted
    in the access log)."""
    try:
        return Answer(payment_id, kind, send())
    except ClientError as refused:
        return Answer(payment_id, kind, refused.problem, refused_with=refused.status)


def _jobs(
    sessions: list[Client], payer: Citizen, payees: list[str]
) -> tuple[list[Callable[[], Answer]], dict[str, str]]:
    """Every request of the storm in the order the clients take them, and the payee of
    each payment id.

    The distinct payments go out in order; half the repeats right behind their
    first (both in flight at once), the other half a few waves later (the first
    answered by then); one captured request is replayed three times in the
    first wave, another spread over the time the wallet still holds money.
    """
    timed: list[tuple[float, Callable[[], Answer]]] = []
    payee_of: dict[str, str] = {}
    signer = (payer.code, payer.key)
    later = 3 * CLIENT_THREADS
    for n in range(DISTINCT):
        payment_id, payee = f"storm-{n:04d}", payees[n % len(payees)]
        payee_of[payment_id] = payee
        pay = partial(sessions[n % SESSIONS].pay, payee, AMOUNT, payment_id, signer)
        timed.append((2 * n, partial(_answer, payment_id, "pay", pay)))
        if n in REPEATED:
            again = partial(sessions[(n + 1) % SESSIONS].pay, payee, AMOUNT, payment_id, signer)
            when = 2 * n + (1 if n % 10 == 0 else later)
            timed.append((when, partial(_answer, payment_id, "repeat", again)))
    for payment_id, times in REPLAYED.items():
        payload = {"payment_id": payment_id, "payee": payees[0], "amount_cents": AMOUNT}
        payee_of[payment_id] = payees[0]
        signature = sign_command(
            payer.key, payer.code, settings.RIIK_CHAIN_ID, "money", "pay",
            target("money:e-service-pay"), payload,
        )  # fmt: skip
        captured = {**payload, "signatures": [signature]}
        for copy, at in enumerate(times):
            replay = partial(sessions[copy % SESSIONS].request, "POST", PAY_PATH, captured)
            timed.append((at, partial(_answer, payment_id, "replay", replay)))
    timed.sort(key=lambda job: job[0])
    return [job for _, job in timed], payee_of


def _served(server: Server, requests: int) -> list[tuple[str, int]]:
    """(worker pid, status) of each payment request in the access log; a worker logs a
    request after answering it, so the last lines may come a moment after the answers."""
    deadline = time.monotonic() + 10
    while True:
        rows = [line.split() for line in server.access_log.read_text().splitlines()]
        served = [(pid, int(status)) for pid, method, path, status in rows if path == PAY_PATH]
        if len(served) >= requests or time.monotonic() > deadline:
            return served
        time.sleep(0.1)


def test_signed_payments_through_three_gunicorn_workers_never_overdraw_one_wallet(
    gunicorn: Server, tmp_path: Path
) -> None:
    central, pank = central_bank(), bank()
    payer = citizen()
    wallet(payer.code, pank, FUNDS, central)
    payees = [wallet(identity.person("Jaan", f"Kask{letter}"), pank) for letter in "abc"]
    sessions = [_session(gunicorn, payer) for _ in range(SESSIONS)]
    jobs, payee_of = _jobs(sessions, payer, payees)

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as clients:
        answers = list(clients.map(lambda job: job(), jobs))

    # Every paid answer is its own payment; every refusal an RFC 9457 problem saying
    # why (409), never a server error; only a replay meets a spent nonce.
    for answer in answers:
        if answer.paid:
            assert answer.document["payment_id"] == answer.payment_id
            assert answer.document["amount_cents"] == AMOUNT
        else:
            assert {"type", "title", "status", "detail"} <= answer.document.keys(), answer
            assert answer.document["status"] == answer.refused_with, answer
    refused = [answer for answer in answers if not answer.paid]
    assert {(a.refused_with, a.slug) for a in refused} <= {
        (409, "insufficient-funds"),
        (409, "conflict"),
        (409, "nonce-replayed"),
    }
    assert all(a.kind == "replay" for a in refused if a.slug == "nonce-replayed")
    assert any(a.slug == "insufficient-funds" for a in refused), "the wallet was never drained"
    paid = {answer.payment_id for answer in answers if answer.paid}

    # The payer's wallet: each payment answered as paid was applied exactly once, and
    # an insufficient-funds refusal means the wallet had less than one payment left.
    aggregate = app().find(Wallet, wallet_id(payer.code))
    assert aggregate is not None
    sent = Counter(
        event.payment_id
        for event in app().events.get(wallet_id(payer.code))
        if isinstance(event, Wallet.PaymentSent)
    )
    assert set(sent) == paid
    assert set(sent.values()) == {1}
    assert len(paid) == AFFORDABLE
    assert aggregate.balance_cents == FUNDS - AMOUNT * len(paid) == 0
    for payee in payees:
        received = app().find(Wallet, wallet_id(payee))
        assert received is not None
        assert received.balance_cents == AMOUNT * sum(payee_of[p] == payee for p in paid)

    # The read models agree, and so does the API.
    records = {record.holder: record for record in WalletRecord.objects.all()}
    assert all(record.balance_cents >= 0 for record in records.values())
    assert app().supply_cents() == sum(r.balance_cents for r in records.values()) == FUNDS
    mine = records[payer.code]
    assert (mine.balance_cents, mine.version) == (aggregate.balance_cents, aggregate.version)
    assert (
        set(PaymentRecord.objects.filter(payer=payer.code).values_list("payment_id", flat=True))
        == paid
    )
    assert sessions[0].me("wallet")["balance_cents"] == 0

    # Every worker took part; each paid id was answered 201 once, the rest of the
    # paid answers 200, and nothing else but 409.
    served = _served(gunicorn, len(jobs))
    assert len(served) == len(jobs)
    assert len({pid for pid, _ in served}) == WORKERS
    statuses = Counter(status for _, status in served)
    assert statuses[201] == len(paid)
    assert statuses[200] == sum(answer.paid for answer in answers) - len(paid)
    assert statuses[409] == len(refused)

    # The chain the three workers wrote verifies, supply conserved at every block.
    assert seal_pending() is not None
    verified = verify_both(tmp_path / "verify")
    assert verified.passed, verified.outputs
    for output in verified.outputs:
        assert f"money: supply {FUNDS} cents" in output
        assert f"conservation (supply == sum of {len(records)} wallet balances" in output
