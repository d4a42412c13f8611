"""Ed25519 signing and verification for the consensus, with caches.

Pure: ``cryptography`` and the standard library only, no Django, no I/O.

Every vote is verified by every node that receives it, and in the simulator
(or a cluster with gossip) the same vote arrives many times. Loading an
Ed25519 public key object and checking a signature are the two costs that
matter, so both are cached here. The cache is a memo of a pure function,
keyed by the public key, the message and the signature, so a cached answer is
exactly what a fresh check would answer; a corrupted signature is a different
key and is checked for real.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain import notes
from chain.keys import NodeKey

__all__ = ["ALG", "KeyRing", "SignatureVerifier", "Signer", "public_key_object"]

ALG = "ed25519"
"""The only signature algorithm the consensus accepts (named in every vote)."""


@lru_cache(maxsize=4096)
def public_key_object(raw: bytes) -> Ed25519PublicKey:
    """The key object of a 32-byte raw public key (cached: loading costs a point decode)."""
    return Ed25519PublicKey.from_public_bytes(raw)


class Signer:
    """A node's signing identity: its name, Ed25519 key and (cached) C2SP key id."""

    __slots__ = ("_private", "key_id", "name", "public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        notes.check_key_name(name)
        self.name = name
        self._private = private_key
        self.public_key: bytes = private_key.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        # NodeKey recomputes the key id on every access; a node signs many
        # votes, so it is computed once here.
        self.key_id: bytes = notes.key_id(name, self.public_key)

    @classmethod
    def from_node_key(cls, key: NodeKey) -> Signer:
        """The signer of a node key loaded from its PEM file (chain.keys)."""
        return cls(key.name, key.private_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """A deterministic key derived from ``seed`` (simulator and tests only)."""
        private = hashlib.sha256(
            b"riik-consensus-key\x00" + seed + b"\x00" + name.encode()
        ).digest()
        return cls(name, Ed25519PrivateKey.from_private_bytes(private))

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def at(self, height: int) -> Signer:
        """The signer of votes at ``height``: this one (a :class:`KeyRing` picks)."""
        return self

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, key_id={self.key_id.hex()})"


class KeyRing(Signer):
    """A member's keys, each from the first block a certified rotation gave it.

    Votes name their height, so a node that rotated its key signs the blocks
    before the change with the old key and those from the change on with the
    new one, whatever order it signs them in.
    """

    __slots__ = ("_ring",)

    def __init__(self, keys: Sequence[tuple[int, Signer]]) -> None:
        if not keys:
            raise ValueError("a key ring holds at least one key")
        ring = sorted(keys, key=lambda item: item[0])
        if len({signer.name for _, signer in ring}) != 1:
            raise ValueError("a key ring holds the keys of one member")
        first = ring[0][1]
        super().__init__(first.name, first._private)
        self._ring = ring

    def at(self, height: int) -> Signer:
        """The newest key whose first block is at or before ``height``."""
        chosen = self._ring[0][1]
        for start, signer in self._ring:
            if start <= height:
                chosen = signer
        return chosen


class SignatureVerifier:
    """Checks Ed25519 signatures, remembering recent answers.

    ``capacity`` bounds the memo; when it is full the memo is emptied (a
    deterministic policy, unlike eviction by access time, which keeps runs
    of the simulator reproducible without depending on the cache).
    """

    __slots__ = ("_memo", "capacity", "checks", "hits")

    def __init__(self, capacity: int = 65536) -> None:
        self.capacity = capacity
        self._memo: dict[tuple[bytes, Hashable], bool] = {}
        self.checks = 0
        self.hits = 0

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is a valid Ed25519 signature of ``message``."""
        return self.verify_statement(public_key, (message, signature), lambda: (message, signature))

    def verify_statement(
        self,
        public_key: bytes,
        statement: Hashable,
        materialize: Callable[[], tuple[bytes, bytes]],
    ) -> bool:
        """Check the signature of a hashable ``statement`` (a frozen vote, say).

        ``materialize`` returns ``(message, signature)`` and is only called on
        a cache miss, so a vote seen before costs a dictionary lookup instead
        of its canonical encoding. The statement must determine both bytes.
        """
        memo_key = (public_key, statement)
        cached = self._memo.get(memo_key)
        if cached is not None:
            self.hits += 1
            return cached
        self.checks += 1
        message, signature = materialize()
        try:
            public_key_object(public_key).verify(signature, message)
            valid = True
        except (InvalidSignature, ValueError):
            valid = False
        if len(self._memo) >= self.capacity:
            self._memo.clear()
        self._memo[memo_key] = valid
        return valid
