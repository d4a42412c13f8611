"""A C2SP tlog-witness: checks checkpoints for consistency and cosigns them.

https://c2sp.org/tlog-witness (``add-checkpoint``) and
https://c2sp.org/tlog-cosignature (Ed25519 ``cosignature/v1``).

The witness keeps, per log origin, the latest checkpoint it cosigned in a
JSON state file. A log run by a quorum of signers (Riik's supernodes) is
given a :data:`QuorumOf` rule: the witness then cosigns only a checkpoint
carrying signatures of a quorum of the keys valid where the log had that
head (:class:`SignerQuorum`), so trusting the witness never means trusting
one supernode's key. It cosigns a new checkpoint only when the caller proves it
consistent with that one, so a witness never cosigns two views of one log
(split view) and never a shorter log (rollback). Pure: standard library and
``cryptography``; the HTTP endpoint (``chain.api``) and ``manage.py witness``
are thin shells around :meth:`Witness.add_checkpoint`.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain import notes
from chain.certificates import quorum_at
from chain.merkle import verify_consistency

MAX_PROOF_LINES = 63
"""The most consistency proof lines a request may carry (C2SP)."""

_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class WitnessError(Exception):
    """A refused ``add-checkpoint``; ``status`` is the C2SP HTTP status code.

    400 malformed request, 403 no trusted log signature, 404 unknown log,
    409 conflict (``latest_size`` is the size the witness holds), 422 bad proof.
    """

    def __init__(self, status: int, message: str, latest_size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.latest_size = latest_size


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` request body."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def parse_request(data: bytes) -> AddCheckpoint:
    """Parse ``old N``, proof lines, a blank line and the checkpoint note (400 if malformed)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessError(400, "request body is not UTF-8") from None
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise WitnessError(400, "request body has no blank line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise WitnessError(400, "first line must be 'old <size>' (decimal, no leading zeros)")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessError(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(lines[1:], start=1):
        try:
            node = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise WitnessError(400, f"proof line {number} is not base64") from None
        if len(node) != 32:
            raise WitnessError(400, f"proof line {number} is not a 32-byte hash")
        proof.append(node)
    return AddCheckpoint(int(match.group(1)), tuple(proof), note)


def request_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The ``add-checkpoint`` body a log (or ``manage.py witness``) sends."""
    lines = [f"old {old_size}", *(base64.b64encode(node).decode("ascii") for node in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


@dataclass(frozen=True)
class SignerQuorum:
    """The keys that sign a checkpoint at one block height, and the rule they follow.

    ``keys`` are the supernode keys valid at that height (``(name, key id) ->
    public key``); a checkpoint is published, and cosigned by a witness, only
    with valid signatures of 2F+1 of their members
    (:func:`chain.certificates.quorum_at`, the one certificate rule).
    """

    keys: Mapping[tuple[str, bytes], bytes]

    @property
    def needed(self) -> int:
        """2F+1 of the members holding a key valid at the height (at least one)."""
        return quorum_at(self.keys)

    def signers(self, note: str) -> tuple[str, ...]:
        """The members whose signature of ``note`` verifies (each once)."""
        return notes.open_note(note, self.keys).verified

    def met_by(self, note: str) -> bool:
        """True when ``note`` carries valid signatures of :attr:`needed` members."""
        return len(self.signers(note)) >= self.needed


QuorumOf = Callable[[notes.Checkpoint], Sequence[SignerQuorum]]
"""The signer quorums of the block heights where a log had a checkpoint's head
(one per distinct key set; empty when it never had that head)."""


@dataclass(frozen=True)
class Seen:
    """The latest checkpoint a witness cosigned for one origin."""

    size: int
    root: bytes
    note: str


class WitnessState:
    """Latest cosigned checkpoint per origin, in a JSON file.

    :meth:`locked` holds an exclusive ``flock`` from the read of the old size
    to the write of the new checkpoint, so two concurrent requests can never
    roll the witness back (the race the C2SP spec warns about).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def locked(self) -> Iterator[dict[str, Seen]]:
        """The state, exclusively; changes to the yielded dict are saved on exit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.read()
            before = dict(state)
            yield state
            if state != before:
                self._write(state)

    def read(self) -> dict[str, Seen]:
        """The state as stored (empty when the file does not exist yet)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {
            origin: Seen(item["size"], bytes.fromhex(item["root"]), item["note"])
            for origin, item in raw.get("logs", {}).items()
        }

    def _write(self, state: Mapping[str, Seen]) -> None:
        data = {
            "logs": {
                origin: {"size": seen.size, "root": seen.root.hex(), "note": seen.note}
                for origin, seen in sorted(state.items())
            }
        }
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1, sort_keys=True)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, self.path)


class Witness:
    """A witness named ``name`` for the logs in ``logs`` (origin -> trusted log keys).

    ``logs`` maps each origin to the C2SP ``known`` mapping of the keys that
    may sign its checkpoints (see :func:`chain.notes.open_note`). With
    ``quorum_of`` a checkpoint must also carry the signatures of a quorum of
    the keys valid at a height where the log had its head.
    """

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        logs: Mapping[str, Mapping[tuple[str, bytes], bytes]],
        state: WitnessState,
        quorum_of: QuorumOf | None = None,
    ) -> None:
        notes.check_key_name(name)
        self.name = name
        self.private_key = private_key
        self.logs = logs
        self.state = state
        self.quorum_of = quorum_of

    def verifier_key(self) -> str:
        """The witness's C2SP verifier key (signature type 0x04, cosignature/v1)."""
        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        material = bytes([notes.ALG_COSIGNATURE_V1]) + public
        kid = notes.cosignature_key_id(self.name, public).hex()
        return f"{self.name}+{kid}+{base64.b64encode(material).decode('ascii')}"

    def add_checkpoint(self, data: bytes, now: int | None = None) -> str:
        """Check an ``add-checkpoint`` body; return the cosignature line or raise."""
        request = parse_request(data)
        try:
            body, _ = notes.split_note(request.note)
            checkpoint = notes.parse_checkpoint(body)
        except notes.NoteError as exc:
            raise WitnessError(400, f"malformed checkpoint: {exc}") from None
        known = self.logs.get(checkpoint.origin)
        if known is None:
            raise WitnessError(404, f"unknown log {checkpoint.origin!r}")
        opened = notes.open_note(request.note, known)
        if not opened.verified:
            raise WitnessError(403, f"no valid signature by a key of log {checkpoint.origin!r}")
        if self.quorum_of is not None:
            _check_quorum(self.quorum_of(checkpoint), checkpoint, request.note)
        if request.old_size > checkpoint.size:
            raise WitnessError(
                400, f"old size {request.old_size} is above the checkpoint size {checkpoint.size}"
            )
        with self.state.locked() as state:
            seen = state.get(checkpoint.origin)
            latest = seen.size if seen else 0
            if request.old_size != latest:
                raise WitnessError(
                    409,
                    f"old size {request.old_size} is not the latest cosigned size {latest}",
                    latest,
                )
            if seen is not None and checkpoint.size == seen.size:
                if checkpoint.root != seen.root:
                    raise WitnessError(
                        409, f"split view: another root at cosigned size {seen.size}", latest
                    )
            elif seen is not None:
                if not verify_consistency(
                    seen.size, checkpoint.size, seen.root, checkpoint.root, list(request.proof)
                ):
                    raise WitnessError(
                        422,
                        f"consistency proof from size {seen.size} to {checkpoint.size} "
                        "does not verify (split view?)",
                    )
            elif request.proof:
                raise WitnessError(422, "the proof from size 0 must be empty")
            timestamp = int(time.time()) if now is None else now
            line = notes.cosign(body, self.name, self.private_key, timestamp)
            state[checkpoint.origin] = Seen(checkpoint.size, checkpoint.root, request.note)
        return line


def _check_quorum(quorums: Sequence[SignerQuorum], checkpoint: notes.Checkpoint, note: str) -> None:
    """403 unless a quorum of the keys of a height with this head signed ``note``."""
    if not quorums:
        raise WitnessError(
            403,
            f"log {checkpoint.origin!r} has no final block of size {checkpoint.size} "
            "with this root",
        )
    if any(q.met_by(note) for q in quorums):
        return
    best = max(quorums, key=lambda q: len(q.signers(note)))
    raise WitnessError(
        403,
        f"checkpoint signed by {len(best.signers(note))} of the {best.needed} supernodes "
        "a quorum needs",
    )
