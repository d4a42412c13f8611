"""Ed25519 node keys: one key per node, stored as a PKCS#8 PEM file.

No Django here (the standalone verifier and the simulator use it too). The
key file of node ``supernode-1`` is ``<directory>/supernode-1.pem``, mode 0600,
in a directory of mode 0700. A key file is written once, atomically, and
never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from chain import notes

__all__ = [
    "KeyFileError",
    "NodeKey",
    "key_path",
    "load_next_key",
    "load_node_key",
    "load_or_create_node_key",
    "next_key_path",
]


class KeyFileError(ValueError):
    """A bad node name or an unreadable key file."""


@dataclass(frozen=True)
class NodeKey:
    """A node's name and Ed25519 private key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        notes.check_key_name(self.name)

    @classmethod
    def generate(cls, name: str) -> NodeKey:
        """A new random key (in memory only)."""
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_bytes(self) -> bytes:
        """The 32-byte raw public key."""
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        """The 4-byte C2SP key id of (name, public key)."""
        return notes.key_id(self.name, self.public_bytes)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (64 bytes) of ``message``."""
        return self.private_key.sign(message)

    def verifier_key(self) -> str:
        """The C2SP verifier key string ``name+keyid+base64key``."""
        return notes.verifier_key(self.name, self.public_bytes)

    def sign_note(self, body: str) -> str:
        """A C2SP signed note of ``body`` signed by this key."""
        return notes.sign_note(body, self.name, self.private_key)

    def cosign_note(self, note: str) -> str:
        """Append this key's signature line to an already signed note."""
        return notes.add_signature(note, self.name, self.private_key)

    def pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise KeyFileError("node name must be a non-empty string")
    separators = {"/", "\\", os.sep, *([os.altsep] if os.altsep else [])}
    if any(sep in name for sep in separators) or name in {".", ".."} or name.startswith("."):
        raise KeyFileError(f"node name {name!r} must not contain path separators or start with '.'")
    if "\x00" in name:
        raise KeyFileError("node name must not contain NUL")
    try:
        notes.check_key_name(name)
    except notes.NoteError as exc:
        raise KeyFileError(f"node name {name!r} is not a valid key name: {exc}") from exc


def key_path(directory: Path, name: str) -> Path:
    """Where the key of node ``name`` lives: ``directory / f"{name}.pem"``."""
    _check_name(name)
    return Path(directory) / f"{name}.pem"


def load_node_key(directory: Path, name: str) -> NodeKey:
    """Load an existing key; raise :class:`KeyFileError` if absent or unreadable."""
    return _read_key(key_path(directory, name), name)


def next_key_path(directory: Path, name: str, key_id: bytes) -> Path:
    """Where a cluster node keeps the key a rotation gives it: ``<name>.<key id>.pem``.

    The operator writes it there before the rotation is recorded; the node
    signs with it from the first block the rotation applies to.
    """
    _check_name(name)
    return Path(directory) / f"{name}.{key_id.hex()}.pem"


def load_next_key(directory: Path, name: str, key_id: bytes) -> NodeKey | None:
    """The rotated key ``key_id`` of ``name`` (None when its file is absent or another key)."""
    path = next_key_path(directory, name, key_id)
    if not path.exists():
        return None
    key = _read_key(path, name)
    return key if key.key_id == key_id else None


def _read_key(path: Path, name: str) -> NodeKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read node key {path}: {exc.strerror or exc}") from exc
    try:
        private_key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PKCS#8 PEM private key") from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 key")
    return NodeKey(name, private_key)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load_or_create_node_key(directory: Path, name: str) -> NodeKey:
    """Load the key of node ``name`` from ``directory``, creating it on first use.

    ``directory`` is created with mode 0700 when missing. A new key is written
    to a temporary file of mode 0600 in the same directory, flushed to disk and
    then linked into place, so a reader sees either no key or the whole key,
    and an existing key is never overwritten (if another process creates the
    key first, that key is loaded and returned).
    """
    directory = Path(directory)
    path = key_path(directory, name)
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    if path.exists():
        return load_node_key(directory, name)

    key = NodeKey.generate(name)
    temp = directory / f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(key.pem())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() fails if the target exists: never overwrite a key.
            os.link(temp, path)
        except FileExistsError:
            return load_node_key(directory, name)
        except OSError:
            # Filesystems without hard links: replace, after a last check.
            if path.exists():
                return load_node_key(directory, name)
            os.replace(temp, path)
        _fsync_directory(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return key
