"""E-ID sign-in: challenge-response with the person's registered Ed25519 key.

1. ``POST sign-in/challenge/`` with a personal code: the server answers a
   one-time nonce and the exact ``message`` to sign (canonical JSON naming the
   purpose, the chain, the person and the nonce). A challenge is issued for
   any well-formed code, so the answer does not tell who is registered.
2. ``POST sign-in/`` with the code, the nonce and the hex Ed25519 signature of
   ``message``: checked against the person's current, unrevoked key in the
   identity registry. The nonce is spent by the first attempt, right or
   wrong. The answer is a short-lived bearer token for the Django user whose
   username is the personal code (created on first sign-in). An official asks
   for a token tied to one of their roles (``"role": "business/registrar"``);
   a company's management-board member or a representative of another
   organisation asks for a token that acts for it (``"organisation": "<registry
   code>"``, see :mod:`registries.access.representation`).
3. ``POST sign-out/`` with the token ends it at once (204); it never acts again.

Every refusal is logged. A refused answer to a real, unspent challenge is
also counted against the person *and the client address it came from*
(:func:`registries.common.clients.client_ip`): after
``RIIK_SIGN_IN_FAILURES_PER_HOUR`` (100, ASVS V2.2.1) such failures in an hour,
that address's sign-ins for that person are refused with 429 until the oldest
failure is an hour old. A junk or spent nonce is refused without counting, so
nobody can lock a person out by sending their personal code; the per-address
``sign-in`` throttle limits such guessing.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from ipaddress import ip_address
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chain.encoding import canonical
from registries.access.representation import representation_of
from registries.access.tokens import (
    SignInTokenAuthentication,
    current_key_id,
    end_token,
    issue_token,
    organisation_username,
)
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.api.serializers import StrictCharField
from registries.common.clients import client_ip
from registries.common.codes import InvalidCodeError, checked_personal_code, validate_registry_code
from registries.common.errors import InvalidCommand
from registries.common.models import AccessToken, SignInChallenge, SignInFailure
from registries.identity.services import has_role, verify_signature
from registries.identity.vocabulary import check_role

log = logging.getLogger(__name__)

TAGS = ["identity"]
PURPOSE = "riik-sign-in"


def sign_in_message(personal_code: str, nonce: str) -> bytes:
    """The bytes a person signs to sign in with ``nonce``."""
    return canonical(
        {
            "purpose": PURPOSE,
            "chain_id": settings.RIIK_CHAIN_ID,
            "personal_code": personal_code,
            "nonce": nonce,
        }
    )


class ChallengeRequestSerializer(serializers.Serializer[Any]):
    personal_code = StrictCharField(help_text="Personal code (isikukood) of who signs in")


class ChallengeSerializer(serializers.Serializer[Any]):
    personal_code = serializers.CharField()
    nonce = serializers.CharField(help_text="One-time nonce, valid until expires_at")
    message = serializers.CharField(help_text="Sign exactly these UTF-8 bytes with your e-ID key")
    expires_at = serializers.DateTimeField()


class SignInSerializer(serializers.Serializer[Any]):
    personal_code = StrictCharField()
    nonce = StrictCharField(max_length=64)
    signature = StrictCharField(
        max_length=200, help_text="Ed25519 signature of the challenge's message, 128 hex digits"
    )
    role = StrictCharField(
        required=False,
        max_length=60,
        help_text="Sign in as an official: registry/role, such as business/registrar",
    )
    organisation = StrictCharField(
        required=False,
        max_length=8,
        help_text="Sign in for an organisation you represent (a company whose management board "
        "you sit on, or another organisation whose representative you are): its registry code",
    )

    def validate_organisation(self, value: str) -> str:
        """A well-formed registry code (8 digits with a check digit)."""
        try:
            validate_registry_code(value)
        except InvalidCodeError as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A token acts either as an official or for an organisation, not both."""
        if attrs.get("role") and attrs.get("organisation"):
            raise serializers.ValidationError(
                {"organisation": ["sign in either with a role or for an organisation, not both"]}
            )
        return attrs


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as 'Authorization: Bearer <token>'")
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()
    personal_code = serializers.CharField()
    role = serializers.CharField(help_text="registry/role the token acts as; empty for a citizen")
    organisation = serializers.CharField(
        help_text="Registry code of the organisation the token acts for; empty for a person"
    )


def _client_address(request: Any) -> str:
    """The client's address as sign-in failures keep it; "" if a trusted proxy
    forwarded something that is not an address."""
    address = client_ip(request)
    try:
        return str(ip_address(address))
    except ValueError:
        return ""


def _check_not_locked(code: str, address: str) -> None:
    """429 once the person has had the allowed number of failures from this address
    this hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = SignInFailure.objects.filter(personal_code=code, address=address or None, at__gt=since)
    limit = settings.RIIK_SIGN_IN_FAILURES_PER_HOUR
    if recent.count() >= limit:
        oldest = recent.order_by("at").values_list("at", flat=True).first()
        wait = (oldest + timedelta(hours=1) - timezone.now()).total_seconds() if oldest else 3600
        log.warning(
            "sign-in refused for %s from %s: %d failures in the last hour", code, address, limit
        )
        raise Throttled(
            wait=max(1.0, wait),
            detail=f"too many failed sign-ins for this account from your address ({limit} an "
            "hour); try later",
        )


def _fail(
    code: str, address: str, reason: str, error: type[AuthenticationFailed | PermissionDenied]
) -> NoReturn:
    SignInFailure.objects.create(personal_code=code, address=address or None, reason=reason[:200])
    log.warning("failed sign-in for %s from %s: %s", code, address, reason)
    raise error(reason)


def check_signed_challenge(
    request: Any, code: str, nonce: str, signature_hex: str, role: str = ""
) -> None:
    """Check a signed sign-in challenge (and, if given, the ``registry/role`` claimed).

    ``request`` is the Django or DRF request (its client address counts the
    failures). Spends the nonce; raises ``Throttled`` for a locked account,
    ``AuthenticationFailed`` for a bad, stale or foreign signature and
    ``PermissionDenied`` for a role the person does not hold. The API's sign-in
    and the admin's (:mod:`registries.access.admin_signin`) both call it.
    """
    address = _client_address(request)
    _check_not_locked(code, address)
    # Spend the nonce first: whatever follows, it never signs anyone in again.
    spent = SignInChallenge.objects.filter(nonce=nonce, personal_code=code, used=False).update(
        used=True
    )
    if not spent:
        # Not counted: anyone can send a person's code with a made-up nonce.
        log.warning("sign-in for %s from %s with an unknown or spent nonce", code, address)
        raise AuthenticationFailed(gettext("unknown or already used sign-in nonce"))
    challenge = SignInChallenge.objects.get(nonce=nonce)
    if challenge.expires_at <= timezone.now():
        _fail(
            code,
            address,
            "the sign-in challenge has expired; ask for a new one",
            AuthenticationFailed,
        )
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        signature = b""
    if len(signature) != 64:
        _fail(code, address, "signature: must be 128 hex digits (64 bytes)", AuthenticationFailed)
    if not verify_signature(code, sign_in_message(code, nonce), signature):
        _fail(
            code,
            address,
            "the signature does not match the person's current e-ID key",
            AuthenticationFailed,
        )
    if role and not has_role(code, *role.split("/", 1)):
        _fail(code, address, f"you hold no current appointment as {role}", PermissionDenied)


class NoCredentials(BaseAuthentication):
    """Sign-in takes no credentials (an old token must not block a new sign-in);
    refusals still answer 401 with a ``WWW-Authenticate: Bearer`` challenge."""

    def authenticate(self, request: Request) -> None:
        """Nobody is authenticated on the way in."""
        return None

    def authenticate_header(self, request: Request) -> str:
        """The scheme that the issued token is used with."""
        return 'Bearer realm="api"'


class ChallengeView(APIView):
    """Step 1 of e-ID sign-in: a one-time nonce to sign."""

    permission_classes = [AllowAny]
    authentication_classes = [NoCredentials]
    throttle_scope = "sign-in"

    @extend_schema(
        tags=TAGS,
        summary="Ask for a sign-in challenge",
        request=ChallengeRequestSerializer,
        responses={201: ChallengeSerializer, **problem_responses(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        code = checked_personal_code(
            validated(ChallengeRequestSerializer, request.data)["personal_code"]
        )
        now = timezone.now()
        SignInChallenge.objects.filter(expires_at__lt=now).delete()
        nonce = secrets.token_urlsafe(32)
        expires_at = now + timedelta(seconds=settings.RIIK_SIGN_IN_CHALLENGE_LIFETIME)
        SignInChallenge.objects.create(nonce=nonce, personal_code=code, expires_at=expires_at)
        body = {
            "personal_code": code,
            "nonce": nonce,
            "message": sign_in_message(code, nonce).decode(),
            "expires_at": expires_at,
        }
        return Response(ChallengeSerializer(body).data, status=status.HTTP_201_CREATED)


class SignInView(APIView):
    """Step 2 of e-ID sign-in: the signed challenge for a short-lived token."""

    permission_classes = [AllowAny]
    authentication_classes = [NoCredentials]
    throttle_scope = "sign-in"

    @extend_schema(
        tags=TAGS,
        summary="Sign in with the signed challenge",
        request=SignInSerializer,
        responses={200: TokenSerializer, **problem_responses(400, 401, 403, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(SignInSerializer, request.data)
        code = checked_personal_code(data["personal_code"])
        role = data.get("role", "")
        if role:
            registry, _, name = role.partition("/")
            try:
                check_role(registry, name)
            except InvalidCommand as error:
                raise serializers.ValidationError({"role": [error.translated(gettext)]}) from None
        check_signed_challenge(request, code, data["nonce"], data["signature"], role)
        address = _client_address(request)
        organisation = data.get("organisation", "")
        representation = representation_of(organisation, code) if organisation else ""
        if representation is None:
            _fail(
                code,
                address,
                f"you do not represent organisation {organisation}: you are neither on the "
                "current management board of such a company (business registry) nor its "
                "representative in the identity registry",
                PermissionDenied,
            )
        # An organisation token's user is the organisation's own account, so nothing
        # it does can act as the person who signed in.
        username = organisation_username(organisation) if organisation else code
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        key_id = current_key_id(code)
        if key_id is None:  # revoked between the signature check and here
            _fail(code, address, "the person has no current e-ID key", AuthenticationFailed)
        token, expires_at = issue_token(
            user, key_id, role, organisation, code if organisation else "", representation
        )
        log.info(
            "signed in %s%s%s",
            code,
            f" as {role}" if role else "",
            f" for organisation {organisation}" if organisation else "",
        )
        body = {
            "token": token,
            "token_type": "Bearer",
            "expires_at": expires_at,
            "personal_code": code,
            "role": role,
            "organisation": organisation,
        }
        return Response(TokenSerializer(body).data)


class SignOutView(APIView):
    """Ends the sign-in token the request is made with."""

    permission_classes = [IsAuthenticated]
    authentication_classes = [SignInTokenAuthentication]
    throttle_scope = "sign-in"

    @extend_schema(
        tags=TAGS,
        summary="Sign out: end the token this request is made with",
        request=None,
        responses={204: None, **problem_responses(401, 429)},
    )
    def post(self, request: Request) -> Response:
        token = request.auth
        if not isinstance(token, AccessToken):  # only SignInTokenAuthentication lets it in
            raise AuthenticationFailed(gettext("sign out with the sign-in token itself"))
        end_token(token, "signed out; sign in again")
        log.info("signed out %s", request.user.get_username())
        return Response(status=status.HTTP_204_NO_CONTENT)
