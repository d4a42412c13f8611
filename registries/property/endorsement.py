"""The notary's endorsement of a title transfer (pure: no Django, no I/O).

A transfer of ownership needs a notary's endorsement: an Ed25519 signature
over :func:`transfer_message`, which binds the unit, the sellers, the buyers
with their shares, the price, the unit's version at signing time and the
chain id. The application checks the signature against the identity
registry; the aggregate records it in the event, so anyone can re-check it
later (:func:`endorsement_holds`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain.encoding import canonical
from registries.common.errors import InvalidCommand
from registries.common.texts import N_, Message
from registries.property.vocabulary import (
    SIGNATURE_LENGTH,
    TRANSFER_KIND,
    Holding,
    InvalidEndorsement,
    format_share,
)

# The notary's endorsement --------------------------------------------------------------


def transfer_message(
    *,
    cadastral_code: str,
    sellers: Sequence[str],
    buyers: Iterable[tuple[str, str | Fraction]] | Iterable[Holding],
    price_cents: int,
    unit_version: int,
    chain_id: str,
) -> bytes:
    """The canonical bytes a notary signs to endorse a title transfer.

    ``chain.encoding.canonical`` of::

        {"kind": "title-transfer", "cadastral_code": "78401:101:0010",
         "from": ["<seller code>", ...],                     # sorted
         "to": [{"owner": "<code>", "share": "n/d"}, ...],   # sorted by owner, lowest terms
         "price_cents": 12300000, "unit_version": 3, "chain_id": "riik-dev"}

    ``unit_version`` is the land unit aggregate's version the notary saw: the
    signature is void once anything else is recorded on the unit, so it cannot
    be replayed on a later state; ``chain_id`` keeps it from being replayed on
    another chain. Sorting and lowest terms make the bytes independent of the
    order in which the parties are listed.
    """
    to: list[dict[str, str]] = []
    for item in buyers:
        if isinstance(item, Holding):
            owner, share = item.owner, item.share
        else:
            owner, raw = item
            share = raw if isinstance(raw, Fraction) else Fraction(raw.replace(" ", ""))
        to.append({"owner": owner, "share": format_share(share)})
    return canonical(
        {
            "kind": TRANSFER_KIND,
            "cadastral_code": cadastral_code,
            "from": sorted(sellers),
            "to": sorted(to, key=lambda entry: entry["owner"]),
            "price_cents": price_cents,
            "unit_version": unit_version,
            "chain_id": chain_id,
        }
    )


@dataclass(frozen=True)
class Endorsement:
    """A notary's checked signature of a transfer, as recorded in its event."""

    notary: str
    key_id: str
    signature: bytes
    chain_id: str


def endorsement_holds(
    *,
    cadastral_code: str,
    recorded: Mapping[str, Any],
    public_key: bytes,
) -> bool:
    """Re-check a recorded transfer's endorsement with the notary's public key.

    ``recorded`` holds the event's ``sellers``, ``buyers``, ``price_cents``,
    ``unit_version``, ``chain_id`` and ``signature`` (hex); ``public_key`` is the
    notary's key named by the event's ``notary_key_id`` (identity's
    ``public_key_at``). Never raises on bad input.
    """
    try:
        message = transfer_message(
            cadastral_code=cadastral_code,
            sellers=list(recorded["sellers"]),
            buyers=[(b["owner"], b["share"]) for b in recorded["buyers"]],
            price_cents=int(recorded["price_cents"]),
            unit_version=int(recorded["unit_version"]),
            chain_id=str(recorded["chain_id"]),
        )
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            bytes.fromhex(str(recorded["signature"])), message
        )
    except (InvalidSignature, KeyError, TypeError, ValueError, ZeroDivisionError):
        return False
    return True


def check_notary_not_party(notary: str, sellers: Sequence[str], buyers: Sequence[Holding]) -> None:
    """A notary cannot endorse a transfer they are a party to."""
    if notary in {*sellers, *(b.owner for b in buyers)}:
        raise InvalidEndorsement(
            Message(
                N_("notary: the notary {notary} is a party to this transfer and cannot endorse it"),
                {"notary": notary},
            )
        )


@dataclass(frozen=True)
class TransferApplication:
    """A transfer of ownership filed for a notary to endorse.

    ``unit_version`` is the unit's version that the application's event made:
    the version the notary signs. Once anything else is recorded on the unit,
    the application can no longer be endorsed as filed.
    """

    number: int
    sellers: tuple[str, ...]
    buyers: tuple[tuple[str, str], ...]
    price_cents: int
    notary: str
    unit_version: int


def parse_signature(text: str | bytes, field: str = "signature") -> bytes:
    """An Ed25519 signature (64 bytes) written as 128 hex digits or as base64."""
    if isinstance(text, bytes):
        raw = text
    elif isinstance(text, str):
        compact = "".join(text.split())
        if not compact:
            raise InvalidCommand(
                Message(
                    N_("{field}: a transfer of ownership needs the notary's signature"),
                    {"field": field},
                )
            )
        if re.fullmatch(r"[0-9a-fA-F]{128}", compact):
            raw = bytes.fromhex(compact)
        else:
            try:
                raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
            except (binascii.Error, ValueError):
                raw = b"?"  # neither hex nor base64
    else:
        raw = b""
    if not raw:
        raise InvalidCommand(
            Message(
                N_("{field}: a transfer of ownership needs the notary's signature"),
                {"field": field},
            )
        )
    if len(raw) != SIGNATURE_LENGTH:
        raise InvalidCommand(
            Message(
                N_(
                    "{field}: an Ed25519 signature is {SIGNATURE_LENGTH} bytes, written as 128 "
                    "hex digits or 88 base64 characters"
                ),
                {"field": field, "SIGNATURE_LENGTH": SIGNATURE_LENGTH},
            )
        )
    return raw


__all__ = [
    "Endorsement",
    "TransferApplication",
    "check_notary_not_party",
    "endorsement_holds",
    "parse_signature",
    "transfer_message",
]
