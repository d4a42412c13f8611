"""Shared read-model tables: projection positions and the ledger link of records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectionPosition(models.Model):
    """How far a projection has followed an application's notification log."""

    projection = models.CharField(max_length=100, verbose_name=_("projection"))
    application = models.CharField(max_length=100, verbose_name=_("application"))
    notification_id = models.BigIntegerField(default=0, verbose_name=_("notification id"))

    class Meta:
        verbose_name = _("projection position")
        verbose_name_plural = _("projection positions")
        constraints = [
            models.UniqueConstraint(
                fields=["projection", "application"], name="projection_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.projection} <- {self.application} @ {self.notification_id}"


class LedgerLinked(models.Model):
    """A read-model record that knows the ledger entry of its latest event."""

    ledger_registry: str = ""
    ledger_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Ledger seq of the event that last changed this record",
        verbose_name=_("ledger seq"),
    )

    class Meta:
        abstract = True


# Per-person keys (registries/common/sealing.py): each registry that seals
# personal data keeps its own key table and audit trail on these bases.


class PersonKeyBase(models.Model):
    """A person's (or a record's) data key, wrapped by the master key; ``wrapped`` is
    None once destroyed."""

    key_id = models.CharField(max_length=32, primary_key=True, verbose_name=_("key id"))
    subject = models.CharField(
        max_length=64, unique=True, help_text="HMAC of the personal code", verbose_name=_("subject")
    )
    wrapped = models.BinaryField(null=True, verbose_name=_("wrapped"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    destroyed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("destroyed at"))

    objects = models.Manager()

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        abstract = True
        default_permissions = ()  # no one edits keys through the admin

    def __str__(self) -> str:
        return f"key {self.key_id}" + (" (destroyed)" if self.wrapped is None else "")


class KeyAccessBase(models.Model):
    """Audit trail of a key store: creates, uses, destroys and refused uses.

    Who acted and why are ``sealed`` with the key store's audit key (derived from
    the master key): in clear, a person's own reads would tie their personal code
    to their key id, and through it to their pseudonymous records. Only an
    auditor's tracked read opens them (:meth:`registries.common.sealing.KeyStore.audit_trail`).
    """

    CREATE = "create"
    USE = "use"
    DESTROY = "destroy"
    REFUSED = "refused"
    ACTIONS = [(a, a) for a in (CREATE, USE, DESTROY, REFUSED)]

    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    key_id = models.CharField(max_length=32, db_index=True, verbose_name=_("key id"))
    action = models.CharField(max_length=10, choices=ACTIONS, verbose_name=_("action"))
    sealed = models.JSONField(
        help_text="Who and why, sealed with the key store's audit key", verbose_name=_("sealed")
    )

    objects = models.Manager()

    class Meta:
        verbose_name = _("key access")
        verbose_name_plural = _("key accesses")
        abstract = True
        ordering = ["-at", "-id"]
        default_permissions = ()  # read through the auditors' tracked read only

    def __str__(self) -> str:
        return f"{self.action} {self.key_id}"


# Citizen e-services: sign-in, signed commands, idempotent POSTs ----------------------------


class SignInChallenge(models.Model):
    """A one-time nonce the server gave a person to sign when signing in."""

    nonce = models.CharField(max_length=64, unique=True, verbose_name=_("nonce"))
    personal_code = models.CharField(max_length=11, db_index=True, verbose_name=_("personal code"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used = models.BooleanField(default=False, verbose_name=_("used"))

    class Meta:
        verbose_name = _("sign-in challenge")
        verbose_name_plural = _("sign-in challenges")

    def __str__(self) -> str:
        return f"sign-in challenge for {self.personal_code}"


class SignInFailure(models.Model):
    """One refused answer to a real sign-in challenge, kept for the back-off of that
    person from that client address (ASVS V2.2.1); a junk nonce is never counted."""

    personal_code = models.CharField(max_length=11, verbose_name=_("personal code"))
    address = models.GenericIPAddressField(
        null=True,
        help_text="Client address the attempt came from (see RIIK_TRUSTED_PROXIES)",
        verbose_name=_("address"),
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    reason = models.CharField(max_length=200, verbose_name=_("reason"))

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(fields=["personal_code", "address", "at"], name="signin_failure_recent")
        ]

    def __str__(self) -> str:
        return f"{self.personal_code} at {self.at}: {self.reason}"


class AccessToken(models.Model):
    """A short-lived bearer token issued by e-ID sign-in; only its SHA-256 is stored."""

    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_tokens",
        verbose_name=_("user"),
    )
    role = models.CharField(
        max_length=60,
        blank=True,
        help_text="registry/role the token acts as; empty: citizen",
        verbose_name=_("role"),
    )
    organisation = models.CharField(
        max_length=8,
        blank=True,
        help_text="Registry code of the company the token acts for; empty: a person",
        verbose_name=_("organisation"),
    )
    signed_in_by = models.CharField(
        max_length=11,
        blank=True,
        help_text="Personal code of the board member who signed in for the organisation",
        verbose_name=_("signed in by"),
    )
    key_id = models.CharField(
        max_length=16,
        blank=True,
        help_text="Id of the e-ID key the sign-in was signed with; the token ends with it",
        verbose_name=_("key id"),
    )
    representation = models.CharField(
        max_length=40,
        blank=True,
        help_text="Representation an organisation token was signed in under; ends with it",
        verbose_name=_("representation"),
    )
    ended = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the token ended for good; empty: it still acts",
        verbose_name=_("ended"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at}"


class ApiToken(models.Model):
    """An official's (or a demo patient's) static API token for scripts.

    Only the SHA-256 of the token is stored, so a copy of the table signs nobody
    in; the token acts only in its one ``role`` and expires after
    ``RIIK_API_TOKEN_LIFETIME`` (:mod:`registries.access.api_tokens`).
    """

    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    role = models.CharField(
        max_length=60,
        blank=True,
        help_text="registry/role the token acts as; empty: citizen",
        verbose_name=_("role"),
    )
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"API token of {self.user_id} as {self.role or 'citizen'}"


class UsedNonce(models.Model):
    """A nonce a person has signed a command with; a second use is a replay."""

    personal_code = models.CharField(max_length=11, verbose_name=_("personal code"))
    nonce = models.CharField(max_length=64, verbose_name=_("nonce"))
    used_at = models.DateTimeField(auto_now_add=True, verbose_name=_("used at"))

    class Meta:
        verbose_name = _("used nonce")
        verbose_name_plural = _("used nonces")
        constraints = [
            models.UniqueConstraint(fields=["personal_code", "nonce"], name="used_nonce_unique")
        ]

    def __str__(self) -> str:
        return f"{self.personal_code}: {self.nonce}"


class IdempotentRequest(models.Model):
    """How the first POST sent with an ``Idempotency-Key`` was answered.

    It keeps no personal data in clear (docs/privacy.md): the caller is a keyed
    hash of their username, the request a SHA-256, the answer only its status
    and the headers that locate the result; never its body. ``status`` is null
    while the first request is still running.
    """

    caller = models.CharField(
        max_length=64,
        help_text="Keyed hash (HMAC-SHA256) of the caller's username",
        verbose_name=_("caller"),
    )
    key = models.CharField(max_length=255, verbose_name=_("key"))
    request_hash = models.CharField(
        max_length=64,
        help_text="SHA-256 of the method, path and body of the first request",
        verbose_name=_("request hash"),
    )
    status = models.IntegerField(null=True, verbose_name=_("status"))
    headers = models.JSONField(
        default=dict,
        blank=True,
        help_text="Headers of the result replayed with it (Location, ...)",
        verbose_name=_("headers"),
    )
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotent_request_unique")
        ]

    def __str__(self) -> str:
        return f"[{self.key}] -> {self.status}"
