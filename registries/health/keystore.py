"""The per-person key store of the health registry, and crypto-shredding.

Each patient has one data key (AES-256-GCM). Health events and read models
hold only what :func:`seal` returns: the key id, a nonce and the ciphertext
(the chain hashes exactly those bytes). Data keys are kept in
:class:`~registries.health.models.PersonKey`, each wrapped (AES-GCM) by the
master key held in the data folder (``RIIK_HEALTH_MASTER_KEY``, like
``secret_key``). Erasing a person destroys their wrapped key: every sealed
value of theirs, wherever it was copied (event store, read models, exports,
backups), can no longer be opened.

Every access -- create, use, destroy, and a refused use of a destroyed key --
is written to :class:`~registries.health.models.KeyAccess` with who and why,
sealed with an audit key derived from the master key: only an auditor's
tracked read opens them (:func:`audit_trail`). Keys are found by a peppered
HMAC of the personal code, never by the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from chain.encoding import canonical
from registries.common.errors import RegistryError
from registries.common.idempotency import forget_person
from registries.common.texts import N_
from registries.health.models import KeyAccess, PersonKey

NONCE_BYTES = 12
_MASTER_LABEL = b"riik health: key store master key v1"
_SUBJECT_LABEL = b"riik health: key store subject v1"
_AUDIT_LABEL = b"riik health: key store audit v1"


class DataErased(RegistryError):
    """The person's key was destroyed: their health data can no longer be read."""

    status = 410
    title = N_("The person's health data has been erased")
    slug = "erased"


def _master() -> AESGCM:
    secret: str = settings.RIIK_HEALTH_MASTER_KEY
    return AESGCM(hmac.new(secret.encode(), _MASTER_LABEL, hashlib.sha256).digest())


def subject_of(personal_code: str) -> str:
    """The key store's name for a person: a peppered HMAC of the code (hex)."""
    secret: str = settings.RIIK_HEALTH_MASTER_KEY
    key = hmac.new(secret.encode(), _SUBJECT_LABEL, hashlib.sha256).digest()
    return hmac.new(key, personal_code.encode(), hashlib.sha256).hexdigest()


def _audit_key() -> AESGCM:
    secret: str = settings.RIIK_HEALTH_MASTER_KEY
    return AESGCM(hmac.new(secret.encode(), _AUDIT_LABEL, hashlib.sha256).digest())


def seal_audit_line(key_id: str, action: str, actor: str, purpose: str) -> dict[str, str]:
    """Who and why of a key store access, sealed with the audit key (bound to the key id
    and the action, so a sealed value cannot be moved to another row)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    plain = canonical({"actor": actor, "purpose": purpose[:200]})
    ciphertext = _audit_key().encrypt(nonce, plain, f"{key_id}/{action}".encode())
    return {"nonce": nonce.hex(), "ciphertext": base64.b64encode(ciphertext).decode()}


def _audit(action: str, key_id: str, actor: str, purpose: str) -> None:
    sealed = seal_audit_line(key_id, action, actor, purpose)
    KeyAccess.objects.create(key_id=key_id, action=action, sealed=sealed)


def audit_trail(personal_code: str) -> list[dict[str, Any]]:
    """Every access to the person's key, oldest first, opened: when, what, who and why.

    For the auditors' read only, which records itself on the data tracker first
    (:class:`registries.health.api.views.KeyAccessView`); an empty list when the
    person never had a key.
    """
    key = PersonKey.objects.filter(subject=subject_of(personal_code)).first()
    if key is None:
        return []
    lines = []
    for row in KeyAccess.objects.filter(key_id=key.key_id).order_by("at", "id"):
        opened = json.loads(
            _audit_key().decrypt(
                bytes.fromhex(row.sealed["nonce"]),
                base64.b64decode(row.sealed["ciphertext"]),
                f"{row.key_id}/{row.action}".encode(),
            )
        )
        lines.append({"at": row.at, "action": row.action, **opened})
    return lines


def key_for(personal_code: str, actor: str, purpose: str) -> str:
    """The id of the person's data key, created on first use; DataErased once destroyed."""
    subject = subject_of(personal_code)
    with transaction.atomic(using=router.db_for_write(PersonKey)):
        key = PersonKey.objects.select_for_update().filter(subject=subject).first()
        if key is None:
            key_id = secrets.token_hex(16)
            data_key = AESGCM.generate_key(bit_length=256)
            nonce = secrets.token_bytes(NONCE_BYTES)
            wrapped = nonce + _master().encrypt(nonce, data_key, key_id.encode())
            PersonKey.objects.create(key_id=key_id, subject=subject, wrapped=wrapped)
            _audit(KeyAccess.CREATE, key_id, actor, purpose)
            return key_id
    if key.wrapped is None:
        _audit(KeyAccess.REFUSED, key.key_id, actor, purpose)
        raise DataErased(N_("the person's health data has been erased: their key was destroyed"))
    return str(key.key_id)


def _data_key(key_id: str, actor: str, purpose: str) -> AESGCM:
    key = PersonKey.objects.filter(key_id=key_id).first()
    if key is None or key.wrapped is None:
        _audit(KeyAccess.REFUSED, key_id, actor, purpose)
        raise DataErased(N_("the person's health data has been erased: their key was destroyed"))
    wrapped = bytes(key.wrapped)
    _audit(KeyAccess.USE, key_id, actor, purpose)
    return AESGCM(_master().decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_id.encode()))


def seal(key_id: str, data: dict[str, Any], actor: str, purpose: str) -> dict[str, str]:
    """Encrypt ``data`` (canonical JSON) with the data key: ``{key_id, nonce, ciphertext}``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = _data_key(key_id, actor, purpose).encrypt(nonce, canonical(data), key_id.encode())
    return {
        "key_id": key_id,
        "nonce": nonce.hex(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def open_sealed(sealed: dict[str, str], actor: str, purpose: str) -> dict[str, Any]:
    """Decrypt a value made by :func:`seal`; DataErased if its key was destroyed."""
    key_id = sealed["key_id"]
    cipher = _data_key(key_id, actor, purpose)
    try:
        plain = cipher.decrypt(
            bytes.fromhex(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), key_id.encode()
        )
    except InvalidTag:
        raise DataErased(N_("a sealed health value does not open with its key")) from None
    opened: dict[str, Any] = json.loads(plain)
    return opened


def destroy(personal_code: str, actor: str, purpose: str) -> str | None:
    """Destroy the person's data key (crypto-shredding); return its id, None if none existed."""
    subject = subject_of(personal_code)
    with transaction.atomic(using=router.db_for_write(PersonKey)):
        key = PersonKey.objects.select_for_update().filter(subject=subject).first()
        if key is None:
            return None
        key.wrapped = None
        key.destroyed_at = timezone.now()
        key.save(update_fields=["wrapped", "destroyed_at"])
        _audit(KeyAccess.DESTROY, key.key_id, actor, purpose)
        forget_person(personal_code)
        return str(key.key_id)
