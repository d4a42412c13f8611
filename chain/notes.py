"""C2SP signed notes and tlog checkpoints with Ed25519.

Pure: standard library and ``cryptography`` only, no Django, no I/O.

* Signed notes: https://c2sp.org/signed-note
* Checkpoints: https://c2sp.org/tlog-checkpoint

A note is a *body* (UTF-8 text ending in ``"\\n"``), a blank line, then one or
more signature lines ``"\\u2014 " + name + " " + base64(key_id || signature) + "\\n"``.
The Ed25519 signature covers the body bytes (including its final newline, not
the blank separator line). The key id is the first four bytes of
``SHA-256(name || 0x0A || 0x01 || 32-byte public key)``.

The formats written here are byte-for-byte those of Go's
``golang.org/x/mod/sumdb/note``, so standard witnesses and tools can read our
checkpoints. Parsing is strict: anything that is not exactly in the format
raises :class:`NoteError` with a message saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "SIGNATURE_PREFIX",
    "Checkpoint",
    "NoteError",
    "NoteSignature",
    "OpenedNote",
    "add_signature",
    "check_key_name",
    "checkpoint_body",
    "cosign",
    "cosignature_key_id",
    "cosignature_message",
    "format_verifier_key",
    "key_id",
    "known_keys",
    "merge_signatures",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "sign_note",
    "split_note",
    "verifier_key",
    "verify_cosignature",
]

ALG_ED25519 = 0x01
"""C2SP signature type byte of Ed25519."""

SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with an em dash (U+2014) and a space."""

MAX_SIGNATURES = 100
"""Notes with more signature lines than this are refused (as Go does)."""

_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, checkpoint or verifier key that is not well formed."""


PublicKeyLike = Ed25519PublicKey | bytes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    """The four key id bytes."""
    signature: bytes
    """The bytes after the key id (64 for Ed25519)."""
    line: str
    """The signature line as written, without its final newline."""


@dataclass(frozen=True)
class OpenedNote:
    """The result of :func:`open_note`.

    ``verified`` holds the names of the known keys whose signature verified
    (each name once, in note order); ``unknown`` the signature lines of keys
    not in ``known`` (never counted); ``invalid`` the lines of known keys whose
    signature does not verify. Callers decide what is enough: a note with an
    empty ``verified`` must be rejected, and C2SP recommends rejecting any
    note with an ``invalid`` signature.
    """

    body: str
    verified: tuple[str, ...]
    unknown: tuple[NoteSignature, ...]
    invalid: tuple[NoteSignature, ...]
    signatures: tuple[NoteSignature, ...]
    """All signature lines, in note order."""


@dataclass(frozen=True)
class Checkpoint:
    """A parsed tlog checkpoint body."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


# --- keys -------------------------------------------------------------------


def _raw_public_key(public_key: PublicKeyLike) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if isinstance(public_key, bytes | bytearray):
        raw = bytes(public_key)
        if len(raw) != 32:
            raise NoteError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
        return raw
    raise TypeError(f"expected an Ed25519 public key or 32 bytes, not {type(public_key).__name__}")


def _load_public_key(public_key: PublicKeyLike) -> Ed25519PublicKey:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    return Ed25519PublicKey.from_public_bytes(_raw_public_key(public_key))


def check_key_name(name: str) -> None:
    """Raise :class:`NoteError` unless ``name`` is a valid C2SP key name.

    Key names are non-empty and contain no Unicode space, no ``+`` and no
    control character.
    """
    if not isinstance(name, str) or not name:
        raise NoteError("key name must be a non-empty string")
    for char in name:
        if char.isspace() or char == "+" or ord(char) < 0x20 or ord(char) == 0x7F:
            raise NoteError(f"key name {name!r} contains a space, '+' or control character")
    _check_utf8(name, "key name")


def key_id(name: str, public_key: PublicKeyLike) -> bytes:
    """C2SP key id: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``."""
    check_key_name(name)
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + _raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


def verifier_key(name: str, public_key: PublicKeyLike) -> str:
    """The C2SP verifier key string ``<name>+<8 hex key id>+<base64(0x01 || key)>``."""
    raw = _raw_public_key(public_key)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode("ascii")
    return f"{name}+{key_id(name, raw).hex()}+{encoded}"


format_verifier_key = verifier_key


def _b64decode_strict(text: str, what: str) -> bytes:
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc
    if base64.b64encode(decoded).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return decoded


def parse_verifier_key(text: str) -> tuple[str, bytes, bytes]:
    """Parse a verifier key string into ``(name, key_id, 32-byte public key)``.

    The key id must be 8 lowercase hex digits and must match the name and key.
    """
    if not isinstance(text, str):
        raise NoteError("verifier key must be a string")
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"verifier key {text!r} is not of the form name+keyid+key")
    name, id_hex, key_b64 = parts
    check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise NoteError(f"verifier key {text!r}: key id must be 8 lowercase hex digits")
    material = _b64decode_strict(key_b64, f"verifier key {text!r}: key")
    if len(material) != 33 or material[0] != ALG_ED25519:
        raise NoteError(f"verifier key {text!r}: not an Ed25519 key (0x01 followed by 32 bytes)")
    public = material[1:]
    expected = key_id(name, public)
    if expected.hex() != id_hex:
        raise NoteError(
            f"verifier key {text!r}: key id {id_hex} does not match the key ({expected.hex()})"
        )
    return name, expected, public


def known_keys(verifier_keys: Iterable[str]) -> dict[tuple[str, bytes], bytes]:
    """Build the ``known`` mapping of :func:`open_note` from verifier key strings."""
    known: dict[tuple[str, bytes], bytes] = {}
    for text in verifier_keys:
        name, kid, public = parse_verifier_key(text)
        known[(name, kid)] = public
    return known


# --- notes ------------------------------------------------------------------


def _check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what} is not valid UTF-8 (lone surrogate)") from exc


# Control characters other than the newline, searched in C rather than per character.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


def _check_text(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise NoteError(f"{what} must be a string, not {type(text).__name__}")
    _check_utf8(text, what)
    found = _CONTROL.search(text)
    if found is not None:
        code = ord(found.group())
        raise NoteError(f"{what} contains control character U+{code:04X} at offset {found.start()}")


def _check_body(body: str) -> None:
    _check_text(body, "note body")
    if not body:
        raise NoteError("note body is empty")
    if not body.endswith("\n"):
        raise NoteError("note body must end with a newline")


def _signature_line(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    check_key_name(name)
    kid = key_id(name, private_key.public_key())
    signature = private_key.sign(body.encode("utf-8"))
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(kid + signature).decode('ascii')}\n"


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Return the signed note: ``body + "\\n" + signature line``."""
    _check_body(body)
    return body + "\n" + _signature_line(body, name, private_key)


def add_signature(note: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Cosign: append a signature line by ``name`` to an already signed note.

    The existing signatures are not verified (use :func:`open_note` for that),
    but the note must be well formed. A note already carrying a signature line
    by the same key is returned unchanged, so cosigning twice is harmless.
    """
    body, signatures = split_note(note)
    kid = key_id(name, private_key.public_key())
    if any(sig.name == name and sig.key_id == kid for sig in signatures):
        return note
    if len(signatures) >= MAX_SIGNATURES:
        raise NoteError(f"note already has {len(signatures)} signatures (limit {MAX_SIGNATURES})")
    return note + _signature_line(body, name, private_key)


def merge_signatures(note: str, other: str) -> str:
    """``note`` with the signature lines of ``other`` it lacks (both must have one body).

    How several signers' copies of one note become one cosigned note. The
    lines are not verified (use :func:`open_note`); a line already present
    is not repeated, and the result keeps :data:`MAX_SIGNATURES`.
    """
    body, signatures = split_note(note)
    other_body, others = split_note(other)
    if other_body != body:
        raise NoteError("the notes have different bodies")
    present = {sig.line for sig in signatures}
    added = [sig.line for sig in others if sig.line not in present]
    if len(signatures) + len(added) > MAX_SIGNATURES:
        raise NoteError(f"merged note would have more than {MAX_SIGNATURES} signatures")
    return note + "".join(line + "\n" for line in added)


def split_note(note: str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a note into its body and signature lines, checking the syntax only."""
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before the signatures")
    body, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("note does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures (limit {MAX_SIGNATURES})")
    signatures = []
    for number, line in enumerate(lines, start=1):
        where = f"signature line {number}"
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"{where} does not start with an em dash and a space")
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or not encoded:
            raise NoteError(f"{where} is not of the form '\u2014 name base64'")
        try:
            check_key_name(name)
        except NoteError as exc:
            raise NoteError(f"{where}: {exc}") from exc
        decoded = _b64decode_strict(encoded, f"{where}: signature")
        if len(decoded) < 5:
            raise NoteError(
                f"{where}: signature decodes to {len(decoded)} bytes, at least 5 needed"
            )
        signatures.append(NoteSignature(name, decoded[:4], decoded[4:], line))
    return body, tuple(signatures)


def open_note(note: str, known: Mapping[tuple[str, bytes], PublicKeyLike]) -> OpenedNote:
    """Parse ``note`` and verify its signatures against ``known`` keys.

    ``known`` maps ``(name, 4-byte key id)`` to an Ed25519 public key (object or
    32 raw bytes). Signatures of keys not in ``known`` are listed in
    ``unknown``, never counted; signatures of known keys that do not verify are
    listed in ``invalid``. Raises :class:`NoteError` only for malformed text.
    """
    body, signatures = split_note(note)
    message = body.encode("utf-8")
    verified: list[str] = []
    unknown: list[NoteSignature] = []
    invalid: list[NoteSignature] = []
    for sig in signatures:
        public = known.get((sig.name, sig.key_id))
        if public is None:
            unknown.append(sig)
            continue
        try:
            _load_public_key(public).verify(sig.signature, message)
        except (InvalidSignature, ValueError):
            invalid.append(sig)
            continue
        if sig.name not in verified:
            verified.append(sig.name)
    return OpenedNote(body, tuple(verified), tuple(unknown), tuple(invalid), signatures)


# --- checkpoints ------------------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The tlog-checkpoint note body: origin, size, base64 root, extension lines."""
    if not isinstance(origin, str) or not origin:
        raise NoteError("checkpoint origin must be a non-empty string")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise NoteError(f"checkpoint size must be a non-negative integer, not {size!r}")
    if not isinstance(root, bytes | bytearray) or len(root) != 32:
        raise NoteError("checkpoint root must be 32 bytes")
    lines = [origin, str(size), base64.b64encode(bytes(root)).decode("ascii"), *extensions]
    for line in lines:
        _check_text(line, "checkpoint line")
        if not line or "\n" in line:
            raise NoteError(f"checkpoint line {line!r} must be non-empty and single-line")
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint note body (strictly)."""
    _check_body(body)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint has {len(lines)} lines, at least 3 needed")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise NoteError(f"checkpoint line {number} is empty")
    origin, size_text, root_text, *extensions = lines
    if len(size_text) > 20 or not _SIZE.fullmatch(size_text):
        raise NoteError(
            f"checkpoint size {size_text!r} is not a decimal number without leading zeros"
            " (at most 20 digits)"
        )
    root = _b64decode_strict(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise NoteError(f"checkpoint root hash has {len(root)} bytes, not 32")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


# --- cosignatures (https://c2sp.org/tlog-cosignature, Ed25519 v1) ----------

ALG_COSIGNATURE_V1 = 0x04
"""C2SP signature type byte of Ed25519 ``cosignature/v1`` (used in the key id)."""


def cosignature_key_id(name: str, public_key: PublicKeyLike) -> bytes:
    """Cosigner key id: ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``."""
    check_key_name(name)
    data = name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + _raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a v1 cosignature signs: ``cosignature/v1``, ``time <t>``, then the note body."""
    _check_body(body)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp < 2**63:
        raise NoteError(f"cosignature timestamp must be in 0..2^63-1, not {timestamp!r}")
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """A cosignature line ``— name base64(key id || u64 timestamp || signature)\\n``."""
    check_key_name(name)
    kid = cosignature_key_id(name, private_key.public_key())
    signature = private_key.sign(cosignature_message(body, timestamp))
    payload = kid + timestamp.to_bytes(8, "big") + signature
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(payload).decode('ascii')}\n"


def verify_cosignature(
    body: str, signature: NoteSignature, name: str, public_key: PublicKeyLike
) -> int | None:
    """The timestamp of ``signature`` if it is a valid v1 cosignature of ``body`` by
    (``name``, ``public_key``), else None (wrong key, malformed or forged)."""
    if signature.name != name or signature.key_id != cosignature_key_id(name, public_key):
        return None
    if len(signature.signature) != 8 + 64:
        return None
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp >= 2**63:
        return None
    try:
        _load_public_key(public_key).verify(
            signature.signature[8:], cosignature_message(body, timestamp)
        )
    except (InvalidSignature, ValueError):
        return None
    return timestamp
