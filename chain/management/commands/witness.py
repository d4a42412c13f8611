"""``manage.py witness --node URL``: a citizen witness of a remote node's registry logs.

For each registry log it fetches the node's latest signed checkpoint and a
consistency proof from the checkpoint it cosigned last, checks both with
:class:`chain.witness.Witness` (the same code as the node's own C2SP
``add-checkpoint`` endpoint), cosigns, and keeps the cosigned checkpoint in
its state file. It refuses a shorter log (rollback) and a log that does not
extend what it cosigned (split view), and exits 1 when it refused anything.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chain import notes
from chain.keys import KeyFileError, load_or_create_node_key
from chain.witness import Witness, WitnessError, WitnessState, request_body

TIMEOUT = 30.0


class Command(BaseCommand):
    help = (
        "Run a citizen witness against a remote node: check, cosign and remember its checkpoints."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--node", required=True, help="the node's base URL, e.g. http://host:8000"
        )
        parser.add_argument(
            "--state", required=True, help="state file: the last checkpoint cosigned per log"
        )
        parser.add_argument("--name", default="citizen-witness", help="the witness key name")
        parser.add_argument(
            "--key-dir", help="directory of the witness key (default: next to the state file)"
        )
        parser.add_argument(
            "--log-key",
            action="append",
            default=[],
            help="C2SP verifier key of a supernode to trust (repeatable); without it the "
            "node's keys are fetched once and pinned next to the state file",
        )
        parser.add_argument(
            "--registry", action="append", default=[], help="registry log to witness (repeatable)"
        )
        parser.add_argument(
            "--interval", type=float, default=0.0, help="seconds between rounds (0: run once)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["node"].rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise CommandError(f"--node must be an http:// or https:// URL, not {base!r}")
        state_path = Path(options["state"])
        key_dir = Path(options["key_dir"]) if options["key_dir"] else state_path.parent / "keys"
        try:
            key = load_or_create_node_key(key_dir, options["name"])
        except KeyFileError as error:
            raise CommandError(str(error)) from None
        log_keys = options["log_key"] or self._pinned_keys(base, state_path)
        try:
            known = notes.known_keys(log_keys)
        except notes.NoteError as error:
            raise CommandError(f"bad --log-key: {error}") from None
        registries = options["registry"] or self._registries(base)
        checkpoints = {
            registry: self._get(f"{base}/api/v1/chain/logs/{registry}/checkpoint/")
            for registry in registries
        }
        logs = {checkpoint["origin"]: known for checkpoint in checkpoints.values()}
        witness = Witness(key.name, key.private_key, logs, WitnessState(state_path))
        self.stdout.write(f"witness {witness.verifier_key()}")
        while True:
            refused = sum(not self._witness(base, witness, registry) for registry in registries)
            if not options["interval"]:
                break
            time.sleep(options["interval"])
        if refused:
            raise SystemExit(1)

    def _witness(self, base: str, witness: Witness, registry: str) -> bool:
        """One round for one log; False when the checkpoint was refused."""
        checkpoint = self._get(f"{base}/api/v1/chain/logs/{registry}/checkpoint/")
        origin, size = checkpoint["origin"], checkpoint["size"]
        seen = witness.state.read().get(origin)
        old = seen.size if seen else 0
        if size < old:
            self.stderr.write(
                f"REFUSED {origin}: rollback, the node serves size {size} "
                f"but this witness cosigned size {old}"
            )
            return False
        proof: list[bytes] = []
        if 0 < old < size:
            answer = self._get(
                f"{base}/api/v1/chain/logs/{registry}/consistency/?first={old}&second={size}"
            )
            proof = [bytes.fromhex(node) for node in answer["proof"]]
        try:
            line = witness.add_checkpoint(request_body(old, proof, checkpoint["note"]))
        except WitnessError as error:
            self.stderr.write(f"REFUSED {origin}: {error.message}")
            return False
        self.stdout.write(f"cosigned {origin} size {size}: {line.rstrip()}")
        return True

    def _registries(self, base: str) -> list[str]:
        block = self._get(f"{base}/api/v1/chain/blocks/")["results"]
        if not block:
            raise CommandError(f"{base} has no blocks yet")
        return sorted(block[0]["logs"])

    def _pinned_keys(self, base: str, state_path: Path) -> list[str]:
        pinned = state_path.with_name(state_path.name + ".log-keys")
        if pinned.exists():
            return [line for line in pinned.read_text(encoding="utf-8").splitlines() if line]
        keys: list[str] = self._get(f"{base}/api/v1/chain/keys/")["supernodes"]
        if not keys:
            raise CommandError(f"{base} lists no supernode keys")
        pinned.parent.mkdir(parents=True, exist_ok=True)
        pinned.write_text("".join(f"{k}\n" for k in keys), encoding="utf-8")
        self.stderr.write(f"pinned the node's {len(keys)} supernode keys in {pinned} (first use)")
        return keys

    def _get(self, url: str) -> Any:
        # Only http(s): --node is checked in handle().
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise CommandError(f"{url}: HTTP {error.code} {error.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise CommandError(f"{url}: {error}") from None
