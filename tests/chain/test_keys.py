"""Node keys (chain/keys.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chain import notes
from chain.keys import KeyFileError, NodeKey, key_path, load_node_key, load_or_create_node_key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_once_then_loaded(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    first = load_or_create_node_key(directory, "supernode-1")
    path = directory / "supernode-1.pem"
    assert path.is_file()
    content = path.read_bytes()
    assert content.startswith(b"-----BEGIN PRIVATE KEY-----")
    second = load_or_create_node_key(directory, "supernode-1")
    assert second.public_bytes == first.public_bytes
    assert path.read_bytes() == content
    assert sorted(p.name for p in directory.iterdir()) == ["supernode-1.pem"]


def test_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "keys"
    old = os.umask(0o022)
    try:
        load_or_create_node_key(directory, "supernode-1")
    finally:
        os.umask(old)
    assert mode(directory) == 0o700
    assert mode(directory / "supernode-1.pem") == 0o600


def test_existing_directory_is_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    load_or_create_node_key(tmp_path, "n")
    assert mode(tmp_path) == 0o755
    assert mode(tmp_path / "n.pem") == 0o600


def test_distinct_names_get_distinct_keys(tmp_path: Path) -> None:
    a = load_or_create_node_key(tmp_path, "supernode-1")
    b = load_or_create_node_key(tmp_path, "supernode-2")
    assert a.public_bytes != b.public_bytes


def test_signatures_verify(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path, "supernode-1")
    signature = key.sign(b"message")
    assert len(signature) == 64
    key.public_key.verify(signature, b"message")
    reloaded = load_node_key(tmp_path, "supernode-1")
    reloaded.public_key.verify(key.sign(b"again"), b"again")


def test_key_id_and_verifier_key(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path, "supernode-1")
    assert len(key.public_bytes) == 32
    assert key.key_id == notes.key_id("supernode-1", key.public_bytes)
    assert notes.parse_verifier_key(key.verifier_key()) == (
        "supernode-1",
        key.key_id,
        key.public_bytes,
    )


def test_note_helpers(tmp_path: Path) -> None:
    a = load_or_create_node_key(tmp_path, "a")
    b = load_or_create_node_key(tmp_path, "b")
    note = b.cosign_note(a.sign_note("hello\n"))
    opened = notes.open_note(note, notes.known_keys([a.verifier_key(), b.verifier_key()]))
    assert opened.verified == ("a", "b")


def test_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    existing = NodeKey.generate("supernode-1")
    path = tmp_path / "supernode-1.pem"
    path.write_bytes(existing.pem())
    loaded = load_or_create_node_key(tmp_path, "supernode-1")
    assert loaded.public_bytes == existing.public_bytes
    assert path.read_bytes() == existing.pem()


@pytest.mark.parametrize(
    "name", ["", "a/b", "../x", "..", ".", ".hidden", "a\\b", "a b", "a+b", "nul\x00"]
)
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(KeyFileError):
        load_or_create_node_key(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_key_path(tmp_path: Path) -> None:
    assert key_path(tmp_path, "supernode-1") == tmp_path / "supernode-1.pem"


def test_garbage_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "x.pem").write_text("not a key")
    with pytest.raises(KeyFileError, match="not an unencrypted PKCS#8 PEM"):
        load_or_create_node_key(tmp_path, "x")


def test_missing_key_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_node_key(tmp_path, "absent")


def test_non_ed25519_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(pem)
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_node_key(tmp_path, "ec")
