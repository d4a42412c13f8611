"""C2SP signed notes and tlog checkpoints (chain/notes.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain import notes
from chain.keys import NodeKey
from chain.notes import (
    Checkpoint,
    NoteError,
    add_signature,
    checkpoint_body,
    key_id,
    known_keys,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

# The example of golang.org/x/mod/sumdb/note (note_test.go, TestSign/TestOpen).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
    "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01"
    "oOTGwnWLox33WWd1RvMc+QQ=\n"
)
GO_NOTE = GO_TEXT + "\n" + PETER_SIG


def peter_private_key() -> Ed25519PrivateKey:
    material = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert material[0] == 0x01
    assert len(material) == 33
    return Ed25519PrivateKey.from_private_bytes(material[1:])


@pytest.fixture
def alice() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def bob() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def known(**keys: Ed25519PrivateKey) -> dict[tuple[str, bytes], bytes]:
    out = {}
    for name, key in keys.items():
        public = notes._raw_public_key(key.public_key())
        out[(name, key_id(name, public))] = public
    return out


# --- the Go reference vector --------------------------------------------------


def test_go_vector_verifier_key_parses() -> None:
    name, kid, public = parse_verifier_key(PETER_VKEY)
    assert name == "PeterNeumann"
    assert kid == bytes.fromhex("c74f20a3")
    assert verifier_key(name, public) == PETER_VKEY
    assert notes._raw_public_key(peter_private_key().public_key()) == public


def test_go_vector_sign_reproduces_the_published_note_byte_for_byte() -> None:
    # Ed25519 is deterministic (RFC 8032), so the note must be identical.
    assert sign_note(GO_TEXT, "PeterNeumann", peter_private_key()) == GO_NOTE


def test_go_vector_opens() -> None:
    opened = open_note(GO_NOTE, known_keys([PETER_VKEY]))
    assert opened.body == GO_TEXT
    assert opened.verified == ("PeterNeumann",)
    assert opened.unknown == ()
    assert opened.invalid == ()


def test_go_vector_two_signers_one_known() -> None:
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    opened = open_note(note, known_keys([PETER_VKEY]))
    assert opened.verified == ("PeterNeumann",)
    assert [s.name for s in opened.unknown] == ["EnochRoot"]
    assert opened.unknown[0].key_id == bytes.fromhex("af0cfe78")
    both = open_note(note, known_keys([PETER_VKEY, ENOCH_VKEY]))
    assert both.verified == ("PeterNeumann", "EnochRoot")


def test_go_vector_invalid_signature_is_reported() -> None:
    note = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    opened = open_note(note, known_keys([PETER_VKEY]))
    assert opened.verified == ()
    assert [s.name for s in opened.invalid] == ["PeterNeumann"]


@pytest.mark.parametrize(
    "message",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
        "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_go_vector_malformed_notes(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, known_keys([PETER_VKEY]))


def test_go_vector_verifier_key_manglings_are_refused() -> None:
    for i in range(len(PETER_VKEY)):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    parse_verifier_key(PETER_VKEY[i:j])
    for i, char in enumerate(PETER_VKEY):
        mangled = PETER_VKEY[:i] + chr(ord(char) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(NoteError):
            parse_verifier_key(mangled)


# --- our own keys -------------------------------------------------------------


def test_key_id_matches_a_hand_computation(alice: Ed25519PrivateKey) -> None:
    public = notes._raw_public_key(alice.public_key())
    by_hand = hashlib.sha256(b"supernode-1" + b"\x0a" + b"\x01" + public).digest()[:4]
    assert key_id("supernode-1", public) == by_hand
    assert key_id("supernode-1", alice.public_key()) == by_hand
    encoded = base64.b64encode(b"\x01" + public).decode()
    assert verifier_key("supernode-1", public) == f"supernode-1+{by_hand.hex()}+{encoded}"
    assert parse_verifier_key(verifier_key("supernode-1", public)) == (
        "supernode-1",
        by_hand,
        public,
    )


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nl\n"])
def test_bad_key_names(name: str, alice: Ed25519PrivateKey) -> None:
    with pytest.raises(NoteError):
        key_id(name, alice.public_key())


def test_round_trip(alice: Ed25519PrivateKey) -> None:
    body = "riik.example/business\n3\n" + base64.b64encode(bytes(32)).decode() + "\n"
    note = sign_note(body, "alice", alice)
    assert note.startswith(body + "\n\u2014 alice ")
    assert note.endswith("\n")
    opened = open_note(note, known(alice=alice))
    assert opened.body == body
    assert opened.verified == ("alice",)
    signature = opened.signatures[0]
    assert signature.key_id == key_id("alice", alice.public_key())
    assert len(signature.signature) == 64


def test_body_with_blank_lines_and_unicode(alice: Ed25519PrivateKey) -> None:
    body = "Ognuno sta solo sul cuor della terra\n\ned \u00e8 subito sera.\n"
    opened = open_note(sign_note(body, "alice", alice), known(alice=alice))
    assert opened.body == body
    assert opened.verified == ("alice",)


def test_cosignature(alice: Ed25519PrivateKey, bob: Ed25519PrivateKey) -> None:
    note = sign_note("hello\n", "alice", alice)
    cosigned = add_signature(note, "bob", bob)
    assert cosigned.startswith(note)
    opened = open_note(cosigned, known(alice=alice, bob=bob))
    assert opened.verified == ("alice", "bob")
    # cosigning twice with the same key changes nothing
    assert add_signature(cosigned, "bob", bob) == cosigned
    # a verifier knowing only bob still accepts bob's signature
    only_bob = open_note(cosigned, known(bob=bob))
    assert only_bob.verified == ("bob",)
    assert [s.name for s in only_bob.unknown] == ["alice"]


def test_flipped_byte_in_body_fails(alice: Ed25519PrivateKey) -> None:
    note = sign_note("size 10\n", "alice", alice)
    tampered = note.replace("size 10", "size 11", 1)
    opened = open_note(tampered, known(alice=alice))
    assert opened.verified == ()
    assert [s.name for s in opened.invalid] == ["alice"]


def test_flipped_byte_in_signature_fails(alice: Ed25519PrivateKey) -> None:
    note = sign_note("hello\n", "alice", alice)
    body, line = note.split("\n\n")
    prefix = "\u2014 alice "
    raw = bytearray(base64.b64decode(line[len(prefix) :]))
    raw[10] ^= 0x01
    tampered = body + "\n\n" + prefix + base64.b64encode(bytes(raw)).decode() + "\n"
    opened = open_note(tampered, known(alice=alice))
    assert opened.verified == ()
    assert len(opened.invalid) == 1


def test_unknown_key_names_are_reported_not_counted(
    alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    note = add_signature(sign_note("hello\n", "mallory", bob), "alice", alice)
    opened = open_note(note, known(alice=alice))
    assert opened.verified == ("alice",)
    assert [s.name for s in opened.unknown] == ["mallory"]
    # same name as a known key but another key id: unknown, not invalid
    impostor = sign_note("hello\n", "alice", bob)
    opened = open_note(impostor, known(alice=alice))
    assert opened.verified == ()
    assert opened.invalid == ()
    assert [s.name for s in opened.unknown] == ["alice"]


def test_duplicate_verified_signature_counts_once(alice: Ed25519PrivateKey) -> None:
    note = sign_note("hello\n", "alice", alice)
    line = note.split("\n\n")[1]
    opened = open_note(note + line, known(alice=alice))
    assert opened.verified == ("alice",)


def test_known_key_as_public_key_object(alice: Ed25519PrivateKey) -> None:
    note = sign_note("hello\n", "alice", alice)
    kid = key_id("alice", alice.public_key())
    opened = open_note(note, {("alice", kid): alice.public_key()})
    assert opened.verified == ("alice",)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "no blank line"),
        ("hello\n", "no blank line"),
        ("hello\n\n", "no signature lines"),
        ("hello\n\n\u2014 alice AAAAAAAA", "does not end with a newline"),
        ("hel\x00lo\n\n\u2014 alice AAAAAAAA\n", "control character U+0000"),
        ("hel\rlo\n\n\u2014 alice AAAAAAAA\n", "control character U+000D"),
        ("hello\n\n- alice AAAAAAAA\n", "does not start with an em dash"),
        ("hello\n\n\u2014 aliceAAAAAAAA\n", "is not of the form"),
        ("hello\n\n\u2014 alice AAAA\n", "at least 5 needed"),
        ("hello\n\n\u2014 alice AAAA!AAA\n", "not valid base64"),
        ("hello\n\n\u2014 alice AAAAAAB=\n", "not canonical base64"),
        ("hello\n\n\u2014 al+ice AAAAAAAA\n", "contains a space, '+'"),
        ("hello\n\n\u2014 alice AAAAAAAA\nextra\n", "signature line 2 does not start"),
        ("hello\n\n" + "\u2014 alice AAAAAAAA\n" * 101, "101 signatures (limit 100)"),
        ("\ud800\n\n\u2014 alice AAAAAAAA\n", "not valid UTF-8"),
    ],
)
def test_malformed_notes_raise_with_a_clear_message(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=re.escape(message)):
        open_note(note, {})


def test_sign_refuses_bad_bodies(alice: Ed25519PrivateKey) -> None:
    with pytest.raises(NoteError, match="empty"):
        sign_note("", "alice", alice)
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("no newline", "alice", alice)
    with pytest.raises(NoteError, match="control character"):
        sign_note("bell\x07\n", "alice", alice)
    with pytest.raises(NoteError):
        sign_note("hello\n", "bad name", alice)


def test_note_error_is_a_value_error() -> None:
    assert issubclass(NoteError, ValueError)


def test_hundred_signatures_are_accepted(alice: Ed25519PrivateKey) -> None:
    note = sign_note("hello\n", "alice", alice)
    line = note.split("\n\n")[1]
    assert open_note(note + line * 99, known(alice=alice)).verified == ("alice",)


# --- checkpoints ----------------------------------------------------------------


ROOT = hashlib.sha256(b"root").digest()


def test_checkpoint_round_trip() -> None:
    body = checkpoint_body("riik.example/business", 120, ROOT)
    assert body == f"riik.example/business\n120\n{base64.b64encode(ROOT).decode()}\n"
    assert parse_checkpoint(body) == Checkpoint("riik.example/business", 120, ROOT, ())


def test_checkpoint_with_extensions() -> None:
    body = checkpoint_body("o", 0, ROOT, ["ext one", "ext two"])
    assert body.endswith("\next one\next two\n")
    assert parse_checkpoint(body).extensions == ("ext one", "ext two")


def test_signed_checkpoint(alice: Ed25519PrivateKey) -> None:
    note = sign_note(checkpoint_body("riik.example/land", 7, ROOT), "supernode-1", alice)
    opened = open_note(note, known(**{"supernode-1": alice}))
    assert parse_checkpoint(opened.body).size == 7


B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("o\n1\n", "at least 3 needed"),
        (f"o\n01\n{B64}\n", "leading zeros"),
        (f"o\n-1\n{B64}\n", "not a decimal number"),
        (f"o\n+1\n{B64}\n", "not a decimal number"),
        (f"o\n 1\n{B64}\n", "not a decimal number"),
        (f"o\n1 \n{B64}\n", "not a decimal number"),
        (f"o\n\u0661\n{B64}\n", "not a decimal number"),
        (f"o\n{'9' * 21}\n{B64}\n", "at most 20 digits"),
        (f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n", "31 bytes, not 32"),
        ("o\n1\nnot base64!\n", "not valid base64"),
        (f"o\n1\n{B64}", "end with a newline"),
        (f"\n1\n{B64}\n", "line 1 is empty"),
        (f"o\n1\n{B64}\n\n", "line 4 is empty"),
        (f"o\n1\n{B64}\next\n\n", "line 5 is empty"),
    ],
)
def test_parse_checkpoint_is_strict(body: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_checkpoint(body)


def test_parse_checkpoint_accepts_zero() -> None:
    assert parse_checkpoint(f"o\n0\n{B64}\n").size == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1, ROOT), "origin"),
        (("o", -1, ROOT), "non-negative"),
        (("o", True, ROOT), "non-negative"),
        (("o", 1, bytes(31)), "32 bytes"),
        (("o\nx", 1, ROOT), "single-line"),
    ],
)
def test_checkpoint_body_refuses_bad_input(args: tuple[str, int, bytes], message: str) -> None:
    with pytest.raises(NoteError, match=message):
        checkpoint_body(*args)


def test_checkpoint_body_refuses_empty_extension() -> None:
    with pytest.raises(NoteError, match="non-empty"):
        checkpoint_body("o", 1, ROOT, [""])


def test_merging_two_signed_copies_of_one_body_keeps_each_line_once() -> None:
    first, second = NodeKey.generate("supernode-1"), NodeKey.generate("supernode-2")
    body = notes.checkpoint_body("riik.example/business", 3, bytes(32))
    one, two = first.sign_note(body), second.sign_note(body)
    merged = notes.merge_signatures(one, two)
    assert merged == notes.add_signature(one, second.name, second.private_key)
    assert notes.merge_signatures(merged, two) == merged
    known = {(k.name, k.key_id): k.public_bytes for k in (first, second)}
    assert notes.open_note(merged, known).verified == ("supernode-1", "supernode-2")
    with pytest.raises(notes.NoteError, match="different bodies"):
        notes.merge_signatures(one, first.sign_note(body.replace("3", "4", 1)))
