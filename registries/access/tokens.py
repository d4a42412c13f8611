"""Short-lived bearer tokens issued by e-ID sign-in, and their DRF authentication.

A token is 32 random bytes shown once to the client; the database keeps only
its SHA-256, so a leaked table signs nobody in. Each token expires after
``RIIK_TOKEN_LIFETIME`` seconds and may be tied to one official role
(``business/registrar``): such a token acts only as that official, a plain
citizen token never acts as an official (:func:`token_allows_role`).

A person may sign in *for* an organisation they represent: a company's
management-board member (business registry) or a representative of another
organisation (a court, hospital, ministry, ...) recorded by the identity
registrar (:mod:`registries.access.representation`). That token's user is the
organisation's own account (``org-<registry code>``, never a personal code), so
it acts only as the organisation (:func:`acting_organisation`), never as the
person or as an official.

A stolen token is no permanent takeover. Every use re-checks that the person who
signed in is alive and that the e-ID key the sign-in was signed with is still
their current, unrevoked key (:func:`current_key_id`): a revoked ("compromised")
or rotated key, or a recorded death, ends every token of that person at once.
An organisation token ends for good when the representation it was signed in
under ends (:func:`registries.access.representation.representation_of`); a later
re-appointment is a new representation and needs a new sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from registries.access.representation import representation_of
from registries.common.models import AccessToken, ApiToken
from registries.identity.models import PublicKeyRecord
from registries.identity.services import current_public_key
from registries.identity.vocabulary import ACTIVE, key_id_of

KEYWORD = "Bearer"
T = TypeVar("T")


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256 (hex).

    Tokens are looked up by this digest: a timing difference of that lookup tells
    an attacker about the digest of their own guess, never about a stored token's
    bytes (they cannot steer a digest without a preimage), so the comparison is as
    good as constant-time, and a 256-bit random token needs no slow hash.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def current_key_id(personal_code: str) -> str | None:
    """The id of the person's current, unrevoked e-ID key; None when they have none
    (never registered, revoked) or have died."""
    key = current_public_key(personal_code)
    return key_id_of(key) if key is not None else None


def issue_token(
    user: Any,
    key_id: str,
    role: str = "",
    organisation: str = "",
    signed_in_by: str = "",
    representation: str = "",
) -> tuple[str, datetime]:
    """A new token for ``user``, signed in with the e-ID key ``key_id`` (acting as
    ``role``, or for ``organisation`` as signed in by its representative
    ``signed_in_by`` under ``representation``, if given), and when it expires."""
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=settings.RIIK_TOKEN_LIFETIME)
    AccessToken.objects.create(
        key_hash=token_digest(token),
        user=user,
        role=role,
        organisation=organisation,
        signed_in_by=signed_in_by,
        representation=representation,
        key_id=key_id,
        expires_at=expires_at,
    )
    return token, expires_at


def end_token(token: AccessToken, why: str) -> None:
    """End ``token`` for good; each later use is refused with ``why``."""
    token.ended = why
    token.save(update_fields=["ended"])


def organisation_username(registry_code: str) -> str:
    """The Django username an organisation's tokens act as (not a personal code)."""
    return f"org-{registry_code}"


def acting_organisation(request: Request) -> str | None:
    """The registry code of the organisation a request acts for (an organisation token)."""
    auth = request.auth
    if isinstance(auth, AccessToken) and auth.organisation:
        return auth.organisation
    return None


def actor(request: Request) -> str:
    """Who issues a command, as recorded in its events (a company by its registry code)."""
    return acting_organisation(request) or str(request.user.get_username())


def token_allows_role(auth: object, registry: str, role: str) -> bool:
    """Whether the request's credentials may act as ``role`` of ``registry``.

    A sign-in token or a static API token acts only as the role it was issued
    for; a session is not narrowed (the admin's sign-in chose one role for it).
    """
    if not isinstance(auth, (AccessToken, ApiToken)):
        return True
    return auth.role == f"{registry}/{role}"


# Whether the token's key is still the current, unrevoked key of the living person who
# signed in (the rule of registries.identity.services.current_public_key), asked in the
# token's own query so that this check costs every request no query of its own.
_KEY_CURRENT = Exists(
    PublicKeyRecord.objects.filter(
        person__personal_code=Coalesce(
            NullIf(OuterRef("signed_in_by"), Value("")), OuterRef("user__username")
        ),
        person__died_on=None,
        status=ACTIVE,
        key_id=OuterRef("key_id"),
    )
)


def _key_current(record: AccessToken) -> bool:
    """:data:`_KEY_CURRENT` as a query of its own, for an identity registry in a
    database of its own (ADR 0069)."""
    return PublicKeyRecord.objects.filter(
        person__personal_code=record.signed_in_by or record.user.username,
        person__died_on=None,
        status=ACTIVE,
        key_id=record.key_id,
    ).exists()


class CheckedOnce(BaseAuthentication, Generic[T]):
    """An ``Authorization: <keyword> <token>`` scheme whose check runs once a request.

    The idempotency middleware and the role middleware authenticate a request
    before the view does, and each wraps the same HttpRequest: the first check's
    outcome (the user, or the refusal) for that very header is kept on it under
    ``checked_attribute``, and every later check takes it.
    """

    keyword: ClassVar[str]
    checked_attribute: ClassVar[str]

    def authenticate(self, request: Request) -> tuple[Any, T] | None:
        """The token's user, or None when the request carries no token of this scheme."""
        header = get_authorization_header(request)
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        http = request._request
        checked: tuple[bytes, tuple[Any, T] | str] | None = getattr(
            http, self.checked_attribute, None
        )
        if checked is None or checked[0] != header:
            try:
                outcome: tuple[Any, T] | str = self._check(parts)
            except AuthenticationFailed as refused:
                outcome = str(refused.detail)
            checked = (header, outcome)
            setattr(http, self.checked_attribute, checked)
        if isinstance(checked[1], str):
            raise AuthenticationFailed(checked[1])
        return checked[1]

    def _check(self, parts: list[bytes]) -> tuple[Any, T]:
        raise NotImplementedError


class SignInTokenAuthentication(CheckedOnce[AccessToken]):
    """``Authorization: Bearer <token>`` with a token from e-ID sign-in.

    A request's token is checked once: the idempotency middleware authenticates
    a POST to scope its key before the view does, and each wraps the same
    HttpRequest, so the view takes the outcome (the user, or the refusal) the
    first check found for that very header.
    """

    keyword = KEYWORD
    checked_attribute = "_riik_bearer_checked"

    def _check(self, parts: list[bytes]) -> tuple[Any, AccessToken]:
        if len(parts) != 2:
            raise AuthenticationFailed(gettext("the Authorization header must be 'Bearer <token>'"))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(gettext("the token is not ASCII")) from None
        try:
            # get(), not first(): the hash is unique, and an ORDER BY only costs compiling.
            tokens = AccessToken.objects.select_related("user")
            if tokens.db == PublicKeyRecord.objects.db:
                # The identity registry shares the database: asked in the same query.
                tokens = tokens.annotate(key_current=_KEY_CURRENT)
            record = tokens.get(key_hash=token_digest(token))
        except AccessToken.DoesNotExist:
            record = None
        if record is None or not record.user.is_active:
            raise AuthenticationFailed(gettext("unknown token; sign in again"))
        if record.expires_at <= timezone.now():
            raise AuthenticationFailed(gettext("the token has expired; sign in again"))
        if record.ended:
            raise AuthenticationFailed(record.ended)
        refusal = self._ended_because(record)
        if refusal:
            # Kept, not just refused: neither a re-appointment nor a key does the token
            # revive; the person signs in again.
            end_token(record, refusal)
            raise AuthenticationFailed(refusal)
        return record.user, record

    @staticmethod
    def _ended_because(record: AccessToken) -> str:
        """Why a token has ended at this use, or "" while it still acts."""
        if record.organisation and record.representation != representation_of(
            record.organisation, record.signed_in_by
        ):
            return (
                f"the person who signed in no longer represents organisation "
                f"{record.organisation}; this token no longer acts for it; sign in again"
            )
        current = getattr(record, "key_current", None)
        if current is None:
            current = _key_current(record)
        if not current:
            return (
                "the e-ID key this token was signed in with is no longer the person's current "
                "key (revoked, replaced, or the person has died); sign in again"
            )
        return ""

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) to requests without credentials."""
        return f'{KEYWORD} realm="api"'


class SignInTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The bearer scheme in the OpenAPI schema."""

    target_class = "registries.access.tokens.SignInTokenAuthentication"
    name = "eidToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """An HTTP bearer scheme."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from POST /api/v1/identity/sign-in/ (e-ID challenge-response)",
        }
