"""Per-person keys and crypto-shredding, shared by the registries that hold personal data.

A :class:`KeyStore` keeps one data key (AES-256-GCM) per *subject* -- a person,
or a record such as a court case -- found by a peppered HMAC of the subject's
name (a personal code, a record id), never by the name itself. Data keys are
wrapped (AES-GCM) by the registry's master key, derived from
``settings.RIIK_HEALTH_MASTER_KEY`` under a label naming the registry (the
health registry's label is the one it always had, so its keys still open).
Each registry keeps its keys in its own table (on :class:`PersonKeyBase`) and
its audit trail in another (on :class:`KeyAccessBase`): destroying a subject's
key in one registry (crypto-shredding) leaves the others alone.

Two ways to seal with it:

* explicitly, as the health registry does: :meth:`KeyStore.seal` a dict into a
  ``{key_id, nonce, ciphertext}`` value that the event carries;
* at the event store's boundary, as identity and court do: a
  :class:`SealingRegistry` declares, per event class, which fields hold
  personal data and whose key seals them (:data:`PERSON_CODE`,
  :data:`RECORD`); its :class:`SealingMapper` replaces each such value by a
  :class:`SealedValue` before the event is stored, and opens it again when the
  event is read. Aggregates, projections and the API see the plain values; the
  event table, the ledger payloads (the chain hashes the stored bytes, so a
  sealed payload is hashed as sealed), every ``chain export`` bundle and every
  backup hold ciphertext. After a key is destroyed the values it sealed are
  read as ``None``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    EventStore,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
    Transcoding,
)

from chain.encoding import canonical
from registries.common.application import RegistryApplication, running
from registries.common.errors import RegistryError
from registries.common.models import KeyAccessBase, PersonKeyBase
from registries.common.payments import Charge
from registries.common.texts import N_

__all__ = [
    "PERSON_CODE",
    "RECORD",
    "DataErased",
    "KeyStore",
    "Rule",
    "Rules",
    "SealedValue",
    "SealingEventStore",
    "SealingMapper",
    "SealingRegistry",
    "every_field",
    "opened_payload",
    "record_name",
]

NONCE_BYTES = 12
KEYS_PER_QUERY = 5000
"""The most key ids :meth:`KeyStore.data_keys` asks for in one query."""

PERSON_CODE = "person-code"
"""The field holds a personal code (or a list of them): each is sealed with the key of
the person it names. Other values (an organisation's registry code, a role such as
``system``) are public and stay in clear."""
RECORD = "record"
"""The field is sealed with the key of the event's aggregate (the record: a person of
the population register, a court case)."""

_PERSONAL_CODE = re.compile(r"^[1-6][0-9]{10}$")
_VALUE = "v"


class DataErased(RegistryError):
    """The person's key was destroyed: their data can no longer be read."""

    status = 410
    title = N_("The person's data has been erased")
    slug = "erased"


def record_name(aggregate_id: UUID) -> str:
    """The key store's name of a record (an aggregate) whose key seals :data:`RECORD` fields."""
    return f"record:{aggregate_id}"


def _label(registry: str, what: str) -> bytes:
    return f"riik {registry}: key store {what} v1".encode()


class KeyStore:
    """One registry's per-subject data keys, wrapped by its master key, with an audit trail.

    ``erased`` is the refusal raised when a destroyed key is asked for. Uses of a
    key are audited only when ``audit_use`` (the health registry audits every
    opening; identity and court open on every read of an aggregate, and track
    reads where their rules say, in the data tracker).
    """

    CACHE_SECONDS = 30.0
    """How long :meth:`data_keys` keeps a key it unwrapped. The cache saves the unwrapping
    only, never the look-up: every use of a cached key first checks, in the same query that
    finds the keys not cached, that the key still exists (not destroyed), so an erasure
    takes effect at once in every process -- the one that destroys the key drops it from
    its cache, the others find it destroyed on their next use (ADR 0065, addendum)."""

    def __init__(
        self,
        registry: str,
        keys: type[PersonKeyBase],
        accesses: type[KeyAccessBase],
        *,
        erased: type[DataErased] = DataErased,
        audit_use: bool = True,
    ) -> None:
        self.registry = registry
        self.keys = keys
        self.accesses = accesses
        self.erased = erased
        self.audit_use = audit_use
        # key id -> (until when, data key): the unwrapped keys data_keys opened lately.
        self._cache: dict[str, tuple[float, AESGCM]] = {}
        # subject -> key id: keys create_keys made for the save about to seal with them.
        self._created: dict[str, str] = {}

    def _master(self) -> AESGCM:
        secret: str = settings.RIIK_HEALTH_MASTER_KEY
        key = hmac.new(secret.encode(), _label(self.registry, "master key"), hashlib.sha256)
        return AESGCM(key.digest())

    def subject_of(self, name: str) -> str:
        """The store's name for a subject: a peppered HMAC of its name (hex)."""
        secret: str = settings.RIIK_HEALTH_MASTER_KEY
        key = hmac.new(secret.encode(), _label(self.registry, "subject"), hashlib.sha256).digest()
        return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()

    def _audit_key(self) -> AESGCM:
        secret: str = settings.RIIK_HEALTH_MASTER_KEY
        key = hmac.new(secret.encode(), _label(self.registry, "audit"), hashlib.sha256)
        return AESGCM(key.digest())

    def seal_audit_line(self, key_id: str, action: str, actor: str, purpose: str) -> dict[str, str]:
        """Who and why of a key access, sealed with the audit key (bound to the key id and
        the action, so a sealed value cannot be moved to another row)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = canonical({"actor": actor, "purpose": purpose[:200]})
        ciphertext = self._audit_key().encrypt(nonce, plain, f"{key_id}/{action}".encode())
        return {"nonce": nonce.hex(), "ciphertext": base64.b64encode(ciphertext).decode()}

    def _audit(self, action: str, key_id: str, actor: str, purpose: str) -> None:
        sealed = self.seal_audit_line(key_id, action, actor, purpose)
        self.accesses.objects.create(key_id=key_id, action=action, sealed=sealed)

    def audit_trail(self, name: str) -> list[dict[str, Any]]:
        """Every access to the subject's key, oldest first, opened: when, what, who and why.

        For an auditor's read only, which records itself on the data tracker first;
        an empty list when the subject never had a key.
        """
        key = self.keys.objects.filter(subject=self.subject_of(name)).first()
        if key is None:
            return []
        audit_key = self._audit_key()
        lines = []
        for row in self.accesses.objects.filter(key_id=key.key_id).order_by("at", "id"):
            opened = json.loads(
                audit_key.decrypt(
                    bytes.fromhex(row.sealed["nonce"]),
                    base64.b64decode(row.sealed["ciphertext"]),
                    f"{row.key_id}/{row.action}".encode(),
                )
            )
            lines.append({"at": row.at, "action": row.action, **opened})
        return lines

    def _refuse(self, key_id: str, actor: str, purpose: str) -> DataErased:
        self._audit(KeyAccessBase.REFUSED, key_id, actor, purpose)
        return self.erased("the person's data has been erased: their key was destroyed")

    def forget(self, name: str) -> None:
        """Forget what this process remembers of the subject's key (nothing here; see
        the money registry's key store, which remembers key ids)."""

    def key_for(self, name: str, actor: str, purpose: str) -> str:
        """The id of the subject's data key, created on first use; ``erased`` once destroyed."""
        subject = self.subject_of(name)
        fresh = self._created.pop(subject, None)
        if fresh is not None:  # created by create_keys for this save just now
            return fresh
        # Most subjects have a key already: find it without a write transaction.
        key = self.keys.objects.filter(subject=subject).only("key_id", "wrapped").first()
        if key is None:
            try:
                with transaction.atomic(using=router.db_for_write(self.keys)):
                    return self._create(subject, actor, purpose)
            except IntegrityError:
                # A concurrent writer (two payments from a wallet that never paid) created the
                # subject's key first: the unique subject kept it one, and it is used.
                key = self.keys.objects.filter(subject=subject).only("key_id", "wrapped").first()
                if key is None:
                    raise
        if key.wrapped is None:
            raise self._refuse(key.key_id, actor, purpose)
        return str(key.key_id)

    def _create(self, subject: str, actor: str, purpose: str) -> str:
        key_id = secrets.token_hex(16)
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + self._master().encrypt(nonce, data_key, key_id.encode())
        self.keys.objects.create(key_id=key_id, subject=subject, wrapped=wrapped)
        self._audit(KeyAccessBase.CREATE, key_id, actor, purpose)
        return key_id

    def create_keys(self, names: Collection[str], actor: str, purpose: str) -> None:
        """Create the keys of those of ``names`` that have none, in ONE transaction.

        For a batch of new subjects (a batched registration of persons):
        one query finds the keys that exist, two multi-row inserts add the
        others and their audit rows, and the new data keys go into the
        cache, where :meth:`key_for` and :meth:`data_keys` find them without
        a query each. A concurrent writer that created one of them first
        makes the insert fail: then nothing is created here, and
        :meth:`key_for` creates each missing key on its own, as always.
        """
        subjects = {self.subject_of(name): name for name in names}
        existing = self.keys.objects.filter(subject__in=list(subjects)).values_list(
            "subject", flat=True
        )
        missing = sorted(set(subjects) - set(existing))
        if not missing:
            return
        master, created, audits = self._master(), [], []
        opened: dict[str, tuple[str, AESGCM]] = {}
        for subject in missing:
            key_id = secrets.token_hex(16)
            data_key = AESGCM.generate_key(bit_length=256)
            nonce = secrets.token_bytes(NONCE_BYTES)
            wrapped = nonce + master.encrypt(nonce, data_key, key_id.encode())
            created.append(self.keys(key_id=key_id, subject=subject, wrapped=wrapped))
            sealed = self.seal_audit_line(key_id, KeyAccessBase.CREATE, actor, purpose)
            audits.append(self.accesses(key_id=key_id, action=KeyAccessBase.CREATE, sealed=sealed))
            opened[subject] = (key_id, AESGCM(data_key))
        try:
            with transaction.atomic(using=router.db_for_write(self.keys)):
                self.keys.objects.bulk_create(created)
                self.accesses.objects.bulk_create(audits)
        except IntegrityError:
            return
        until = time.monotonic() + self.CACHE_SECONDS
        for subject, (key_id, cipher) in opened.items():
            self._created[subject] = key_id
            self._cache[key_id] = (until, cipher)

    def _unwrap(self, key_id: str, wrapped: bytes) -> AESGCM:
        nonce, sealed = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        return AESGCM(self._master().decrypt(nonce, sealed, key_id.encode()))

    def _data_key(self, key_id: str, actor: str, purpose: str) -> AESGCM:
        key = self.keys.objects.filter(key_id=key_id).first()
        if key is None or key.wrapped is None:
            raise self._refuse(key_id, actor, purpose)
        if self.audit_use:
            self._audit(KeyAccessBase.USE, key_id, actor, purpose)
        return self._unwrap(key_id, bytes(key.wrapped))

    def data_keys(self, key_ids: set[str]) -> dict[str, AESGCM]:
        """The data keys of these ids that still exist: one query, no audit row (see
        :class:`SealingMapper`). A key destroyed since it was cached (in this process or
        any other) is left out and dropped from the cache; only the keys not unwrapped in
        the last :attr:`CACHE_SECONDS` are unwrapped."""
        now = time.monotonic()
        opened: dict[str, AESGCM] = {}
        if not key_ids:
            return opened
        cached = {k for k in key_ids if self._cache.get(k, (0.0,))[0] > now}
        wanted = sorted(key_ids)
        # One query for a batch's keys; a huge batch (a page of reads of 500 persons each)
        # in chunks, within every database's limit on query parameters.
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            live = self.keys.objects.filter(key_id__in=chunk, wrapped__isnull=False)
            for key in live.only("key_id", "wrapped"):
                if key.key_id in cached:
                    opened[key.key_id] = self._cache[key.key_id][1]
                elif key.wrapped is not None:
                    opened[key.key_id] = self._unwrap(key.key_id, bytes(key.wrapped))
                    self._cache[key.key_id] = (now + self.CACHE_SECONDS, opened[key.key_id])
        for gone in key_ids - opened.keys():
            self._cache.pop(gone, None)
        return opened

    def encrypt(self, key_id: str, plain: bytes, actor: str, purpose: str) -> SealedValue:
        """``plain`` sealed with the data key (AES-256-GCM, the key id as associated data)."""
        return SealedValue.seal(key_id, self._data_key(key_id, actor, purpose), plain)

    def seal(self, key_id: str, data: dict[str, Any], actor: str, purpose: str) -> dict[str, str]:
        """Encrypt ``data`` (canonical JSON) with the data key: ``{key_id, nonce, ciphertext}``."""
        return self.encrypt(key_id, canonical(data), actor, purpose).as_dict()

    def open_sealed(self, sealed: dict[str, str], actor: str, purpose: str) -> dict[str, Any]:
        """Decrypt a value made by :meth:`seal`; ``erased`` if its key was destroyed."""
        value = SealedValue.from_dict(sealed)
        plain = value.open(self._data_key(value.key_id, actor, purpose))
        if plain is None:
            raise self.erased("a sealed value does not open with its key")
        opened: dict[str, Any] = json.loads(plain)
        return opened

    def destroy(self, name: str, actor: str, purpose: str) -> str | None:
        """Destroy the subject's data key (crypto-shredding); its id, None if none existed."""
        subject = self.subject_of(name)
        with transaction.atomic(using=router.db_for_write(self.keys)):
            key = self.keys.objects.select_for_update().filter(subject=subject).first()
            if key is None:
                return None
            key.wrapped = None
            key.destroyed_at = timezone.now()
            key.save(update_fields=["wrapped", "destroyed_at"])
            self._audit(KeyAccessBase.DESTROY, key.key_id, actor, purpose)
            self._cache.pop(key.key_id, None)
            return str(key.key_id)

    def destroy_many(self, names: Collection[str], actor: str, purpose: str) -> int:
        """Destroy the data keys of these subjects in one transaction (per
        :data:`KEYS_PER_QUERY` subjects two queries and one multi-row insert of audit
        lines); how many were destroyed. For an erasure that blinds many records at once
        (the data tracker's reads of a person)."""
        subjects = sorted(self.subject_of(name) for name in names)
        destroyed: list[str] = []
        with transaction.atomic(using=router.db_for_write(self.keys)):
            for start in range(0, len(subjects), KEYS_PER_QUERY):
                live = self.keys.objects.select_for_update().filter(
                    subject__in=subjects[start : start + KEYS_PER_QUERY], wrapped__isnull=False
                )
                key_ids = list(live.values_list("key_id", flat=True))
                self.keys.objects.filter(key_id__in=key_ids).update(
                    wrapped=None, destroyed_at=timezone.now()
                )
                self.accesses.objects.bulk_create(
                    self.accesses(
                        key_id=key_id,
                        action=KeyAccessBase.DESTROY,
                        sealed=self.seal_audit_line(key_id, KeyAccessBase.DESTROY, actor, purpose),
                    )
                    for key_id in key_ids
                )
                destroyed.extend(key_ids)
        for key_id in destroyed:
            self._cache.pop(key_id, None)
        return len(destroyed)

    def is_destroyed(self, name: str) -> bool:
        """Whether the subject had a key and it was destroyed."""
        destroyed = self.keys.objects.filter(subject=self.subject_of(name), wrapped__isnull=True)
        return bool(destroyed.exists())


@dataclass(frozen=True)
class SealedValue:
    """A value sealed with one data key: what the event store and the ledger hold."""

    key_id: str
    nonce: str
    ciphertext: str

    def as_dict(self) -> dict[str, str]:
        """The stored form (the same as the health registry's sealed values)."""
        return {"key_id": self.key_id, "nonce": self.nonce, "ciphertext": self.ciphertext}

    @classmethod
    def seal(cls, key_id: str, data_key: AESGCM, plain: bytes) -> SealedValue:
        """``plain`` sealed with the data key (AES-256-GCM, the key id as associated data)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = data_key.encrypt(nonce, plain, key_id.encode())
        return cls(key_id, nonce.hex(), base64.b64encode(ciphertext).decode())

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> SealedValue:
        """A sealed value from its stored form."""
        return cls(str(data["key_id"]), str(data["nonce"]), str(data["ciphertext"]))

    def open(self, data_key: AESGCM) -> bytes | None:
        """The plain bytes, or None if they do not open with this key."""
        try:
            return data_key.decrypt(
                bytes.fromhex(self.nonce), base64.b64decode(self.ciphertext), self.key_id.encode()
            )
        except InvalidTag:
            return None


class SealedValueAsDict(Transcoding):
    """Sealed values in stored events, as ``{key_id, nonce, ciphertext}``."""

    type = SealedValue
    name = "sealed"

    def encode(self, obj: SealedValue) -> dict[str, str]:
        return obj.as_dict()

    def decode(self, data: dict[str, str]) -> SealedValue:
        return SealedValue.from_dict(data)


Rule: TypeAlias = str | Mapping[str, "Rule"]
"""Whose key seals a field's value: :data:`PERSON_CODE` or :data:`RECORD`; for a field
holding a dict, a rule per entry (entries not named stay in clear), such as the data
tracker's read record (``{"subjects": PERSON_CODE, "what": RECORD, ...}``)."""

Rules = Mapping[type, Mapping[str, Rule]]
"""Per event class: which fields are sealed, and whose key seals each (:data:`Rule`)."""

_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def every_field(*event_classes: type, owner: str = RECORD) -> dict[type, dict[str, str]]:
    """Rules sealing every field of these events but the envelope (id, version, time)."""
    return {
        cls: {f.name: owner for f in dataclasses.fields(cls) if f.name not in _ENVELOPE}
        for cls in event_classes
    }


class SealingMapper(Mapper[UUID]):
    """eventsourcing's mapper, sealing the fields ``rules`` name with per-person keys.

    A record's key is named by the aggregate id (``record:<id>``), a person's by
    their personal code. Writing creates missing keys (audited); reading opens
    every sealed value of an event with one query for its keys and no audit row
    (a read of an aggregate is not a read by a person: the registries track
    reads where their rules say). A destroyed key's values read as ``None``.
    """

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        *,
        keystore: KeyStore,
        rules: Rules,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self.keystore = keystore
        self.rules = rules

    def _seal(
        self, value: Any, name: str, keys: dict[str, tuple[str, AESGCM]], topic: str
    ) -> SealedValue:
        if name not in keys:
            key_id = self.keystore.key_for(name, self.keystore.registry, f"seal {topic}")
            opened = self.keystore.data_keys({key_id})
            if key_id not in opened:  # a remembered id whose key is gone: ask once more
                self.keystore.forget(name)
                key_id = self.keystore.key_for(name, self.keystore.registry, f"seal {topic}")
                opened = self.keystore.data_keys({key_id})
            if key_id not in opened:  # destroyed since key_for looked
                raise self.keystore.erased(
                    "the person's data has been erased: their key was destroyed"
                )
            keys[name] = (key_id, opened[key_id])
        key_id, data_key = keys[name]
        return SealedValue.seal(key_id, data_key, self.transcoder.encode({_VALUE: value}))

    def _sealed(
        self, value: Any, owner: Rule, record: str, keys: dict[str, tuple[str, AESGCM]], topic: str
    ) -> Any:
        if value is None:
            return None
        if not isinstance(owner, str):  # a dict whose entries have rules of their own
            if not isinstance(value, dict):
                return value
            return {
                name: self._sealed(item, owner[name], record, keys, topic)
                if name in owner
                else item
                for name, item in value.items()
            }
        if owner == RECORD:
            return self._seal(value, record, keys, topic)
        if isinstance(value, list):
            return [self._sealed(item, owner, record, keys, topic) for item in value]
        if isinstance(value, str) and _PERSONAL_CODE.match(value):
            return self._seal(value, value, keys, topic)
        return value

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """The stored event, with the fields the rules name sealed."""
        fields = self.rules.get(type(domain_event))
        if not fields:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        record = record_name(state["originator_id"])
        keys: dict[str, tuple[str, AESGCM]] = {}
        topic = type(domain_event).__qualname__
        for field, owner in fields.items():
            if field in state:
                state[field] = self._sealed(state[field], owner, record, keys, topic)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The domain event, its sealed values opened (None where the key was destroyed)."""
        (domain_event,) = self.to_domain_events([stored_event])
        return domain_event

    def to_domain_events(
        self, stored_events: Iterable[StoredEvent]
    ) -> list[DomainEventProtocol[UUID]]:
        """The domain events of a batch of stored events (an aggregate's load, a page of
        notifications), their sealed values opened with ONE key query for the whole batch:
        :meth:`KeyStore.data_keys` checks every key the batch needs against the key store at
        once, so a key destroyed in any process is not used for any event of the batch,
        and a load of N events costs one key query, not N (ADR 0065, addendum)."""
        events = [super(SealingMapper, self).to_domain_event(s) for s in stored_events]
        states = []
        for domain_event in events:
            fields = self.rules.get(type(domain_event))
            if fields:
                state: dict[str, Any] = vars(domain_event)
                states.append((fields, state))
        key_ids = {
            value.key_id
            for fields, state in states
            for field, rule in fields.items()
            if field in state
            for value in _sealed_values(state[field], rule)
        }
        if not key_ids:
            return events
        data_keys = self.keystore.data_keys(key_ids)
        for fields, state in states:
            for field, rule in fields.items():
                if field in state:
                    state[field] = self._opened(state[field], rule, data_keys)
        return events

    def _opened(self, value: Any, rule: Rule, data_keys: dict[str, AESGCM]) -> Any:
        if not isinstance(rule, str):
            if not isinstance(value, dict):
                return value
            return {
                name: self._opened(item, rule[name], data_keys) if name in rule else item
                for name, item in value.items()
            }
        if isinstance(value, list):
            return [self._opened(item, rule, data_keys) for item in value]
        if not isinstance(value, SealedValue):
            return value
        data_key = data_keys.get(value.key_id)
        plain = value.open(data_key) if data_key is not None else None
        return None if plain is None else self.transcoder.decode(plain)[_VALUE]


def _sealed_values(value: Any, rule: Rule) -> list[SealedValue]:
    if not isinstance(rule, str):
        if not isinstance(value, dict):
            return []
        return [
            found
            for name, item in value.items()
            if name in rule
            for found in _sealed_values(item, rule[name])
        ]
    if isinstance(value, SealedValue):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, SealedValue)]
    return []


class SealingEventStore(EventStore[UUID]):
    """eventsourcing's event store, opening an aggregate's events as one batch
    (:meth:`SealingMapper.to_domain_events`: one key query per load, not per event)."""

    mapper: SealingMapper

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        """The aggregate's events, opened together."""
        stored = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        return iter(self.mapper.to_domain_events(stored))


_SEALING: dict[str, type[SealingRegistry]] = {}


class SealingRegistry(RegistryApplication):
    """A registry application whose events' personal data is sealed per person.

    Subclasses name their key store and their rules (:data:`Rules`).
    """

    keystore: ClassVar[KeyStore]
    sealed: ClassVar[Rules]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _SEALING[cls.name] = cls

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add sealed values to the registry's transcodings."""
        super().register_transcodings(transcoder)
        transcoder.register(SealedValueAsDict())

    def save_settling(
        self, aggregates: Sequence[Aggregate], charges: Sequence[Charge | None]
    ) -> None:
        """:meth:`RegistryApplication.save_settling`, the keys of many new records first
        created together (:meth:`KeyStore.create_keys`: a batch of new persons)."""
        records = [
            record_name(aggregate.id)
            for aggregate in aggregates
            if any(
                RECORD in self.sealed.get(type(event), {}).values()
                for event in aggregate.pending_events
            )
        ]
        if len(records) > 1:
            self.keystore.create_keys(records, self.keystore.registry, "seal a batch")
        super().save_settling(aggregates, charges)

    def construct_event_store(self) -> EventStore[UUID]:
        """A :class:`SealingEventStore`: an aggregate's events are opened as one batch."""
        mapper = self.mapper
        assert isinstance(mapper, SealingMapper)
        return SealingEventStore(mapper=mapper, recorder=self.recorder)

    def domain_events(self, stored: Sequence[StoredEvent]) -> list[DomainEventProtocol[UUID]]:
        """The domain events of a batch of stored events, opened with one key query."""
        mapper = self.mapper
        assert isinstance(mapper, SealingMapper)
        return mapper.to_domain_events(stored)

    def construct_mapper(self) -> Mapper[UUID]:
        """The :class:`SealingMapper` of this registry's key store and rules."""
        return SealingMapper(
            self.construct_transcoder(),
            self.factory.compressor(),
            self.factory.cipher(),
            keystore=self.keystore,
            rules=self.sealed,
        )


def opened_payload(
    registry: str, originator_id: str, originator_version: int, topic: str, payload: bytes
) -> dict[str, Any] | None:
    """A stored event's fields as its registry reads them (sealed values opened; ``None``
    where a key was destroyed), for a reader the registry already allowed to see the
    payload; None if the registry seals nothing at the event store's boundary."""
    app_class = _SEALING.get(registry)
    if app_class is None:
        return None
    stored = StoredEvent(UUID(originator_id), originator_version, topic, payload)
    event = running(app_class).mapper.to_domain_event(stored)
    fields = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    opened: dict[str, Any] = json.loads(json.dumps(fields, default=str))
    return opened
