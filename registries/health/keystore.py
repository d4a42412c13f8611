"""The per-person key store of the health registry, and crypto-shredding.

Each patient has one data key (AES-256-GCM), kept by the registries' shared
key store (:class:`registries.common.sealing.KeyStore`) in
:class:`~registries.health.models.PersonKey`, each wrapped by the master key
held in the data folder (``RIIK_HEALTH_MASTER_KEY``, like ``secret_key``).
Health events and read models hold only what :func:`seal` returns: the key
id, a nonce and the ciphertext (the chain hashes exactly those bytes).
Erasing a person destroys their wrapped key: every sealed value of theirs,
wherever it was copied (event store, read models, exports, backups), can no
longer be opened.

Every access -- create, use, destroy, and a refused use of a destroyed key --
is written to :class:`~registries.health.models.KeyAccess` with who and why,
sealed with an audit key derived from the master key: only an auditor's
tracked read opens them (:func:`audit_trail`). Keys are found by a peppered
HMAC of the personal code, never by the code.
"""

from __future__ import annotations

from registries.common.idempotency import forget_person
from registries.common.sealing import DataErased as Erased
from registries.common.sealing import KeyStore
from registries.common.texts import N_
from registries.health.models import KeyAccess, PersonKey


class DataErased(Erased):
    """The person's key was destroyed: their health data can no longer be read."""

    title = N_("The person's health data has been erased")


STORE = KeyStore("health", PersonKey, KeyAccess, erased=DataErased)

subject_of = STORE.subject_of
key_for = STORE.key_for
seal = STORE.seal
open_sealed = STORE.open_sealed
seal_audit_line = STORE.seal_audit_line
audit_trail = STORE.audit_trail


def destroy(personal_code: str, actor: str, purpose: str) -> str | None:
    """Destroy the patient's data key (crypto-shredding) and forget their idempotent
    requests; return the key's id, None if none existed."""
    key_id = STORE.destroy(personal_code, actor, purpose)
    if key_id is not None:
        forget_person(personal_code)
    return key_id


def erase_person(code: str, actor: str, purpose: str, **_signal: object) -> None:
    """Receiver of :data:`registries.identity.erasure.person_erasure`: destroy the
    person's health key if they have one (a person without health data has none)."""
    destroy(code, actor, f"erasure: {purpose}")
