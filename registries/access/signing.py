"""Signed commands: citizen acts carry their signers' Ed25519 signatures onto the chain.

A citizen e-service (found a company, change my board, a consent change...)
takes, next to the command's fields, ``signatures``: one entry per person who
must agree, each the hex Ed25519 signature of :func:`command_message`, which
names the command, its target (the object the request acts on: the URL's name
and arguments as routed, :func:`request_target`) and the command's JSON fields
exactly as sent (``signatures`` left out), under a fresh nonce of the signer's
choosing. A signature therefore cannot be moved to another object (a board
change meant for company A sent to company B), another command or another body.
The server checks every signature against the signer's current, unrevoked e-ID
key in the identity registry, spends each nonce once (a replay is refused) and
passes the verified signatures to the command, which stores them in its event.
The ledger entry commits to the event's payload, so the signatures are on the
chain and anyone can check later that these people really signed this command.

A view takes :class:`SignedCommandMixin` and a serializer with
:func:`signatures_field` (``registries/health/api/views.py`` has examples).

A bad signature, a revoked key, a missing signer or a replayed nonce is
refused (400 or 409 problem+json) before anything is written; when the command
itself is refused, the nonces are released again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.request import Request

from chain.encoding import NotCanonicalError, canonical
from registries.common.api.serializers import StrictCharField
from registries.common.errors import Conflict, InvalidCommand
from registries.common.models import UsedNonce
from registries.common.texts import N_, Message
from registries.identity.services import current_public_key, signed_by
from registries.identity.vocabulary import key_id_of

PURPOSE = "riik-command"
FIELD = "signatures"


class InvalidSignature(InvalidCommand):
    """A signature that is missing, malformed or does not verify."""

    title = N_("Invalid signature")
    slug = "invalid-signature"


class NonceReplayed(Conflict):
    """A nonce the signer has already signed a command with."""

    title = N_("Replayed nonce")
    slug = "nonce-replayed"


class SignatureSerializer(serializers.Serializer[Any]):
    """One signer's signature over a command."""

    personal_code = StrictCharField(help_text="Personal code of the signer")
    nonce = serializers.RegexField(
        r"^[A-Za-z0-9_-]{16,64}$",
        help_text="Fresh random nonce chosen by the signer (16-64 of A-Z a-z 0-9 _ -)",
    )
    signature = serializers.RegexField(
        r"^[0-9a-f]{128}$", help_text="Ed25519 signature of the command message, lower-case hex"
    )

    class Meta:
        ref_name = "CommandSignature"


def signatures_field() -> SignatureSerializer:
    """The ``signatures`` field of a signed command's serializer."""
    return SignatureSerializer(  # type: ignore[call-arg]  # many=True takes max_length
        many=True,
        max_length=50,
        help_text="Signatures of every person the command needs (see docs/citizen-api.md)",
    )


def command_message(
    registry: str,
    command: str,
    target: dict[str, Any],
    payload: dict[str, Any],
    signer: str,
    nonce: str,
) -> bytes:
    """The canonical bytes a signer signs for ``command`` on ``target`` with these fields."""
    return canonical(
        {
            "purpose": PURPOSE,
            "chain_id": settings.RIIK_CHAIN_ID,
            "registry": registry,
            "command": command,
            "target": target,
            "payload": payload,
            "signer": signer,
            "nonce": nonce,
        }
    )


def request_target(request: Request) -> dict[str, Any]:
    """What a signed request acts on: its URL's name (with namespace) and its
    arguments exactly as routed, e.g. ``{"name": "business:e-service-change-board",
    "kwargs": {"code": "12345678"}}``."""
    match = request.resolver_match
    if match is None:
        raise InvalidCommand(N_("a signed command must be sent to a routed URL"))
    return {
        "name": match.view_name,
        "kwargs": {name: str(value) for name, value in match.kwargs.items()},
    }


def signed_payload(data: Any) -> dict[str, Any]:
    """The command's fields as sent, without ``signatures``: what the signers sign."""
    if not isinstance(data, dict):
        raise InvalidCommand(N_("the command must be a JSON object"))
    return {key: value for key, value in data.items() if key != FIELD}


def verify_signatures(
    registry: str,
    command: str,
    target: dict[str, Any],
    payload: dict[str, Any],
    signatures: list[dict[str, str]],
    signers: Iterable[str],
) -> list[dict[str, str]]:
    """Check that exactly ``signers`` signed; return the signatures as the event stores them.

    Each stored signature names the signer, the id of the key that made it
    (so it can be checked after the key is rotated), the target it was made
    for (its canonical JSON), the nonce and the hex signature: everything but the event's own
    command and payload that :func:`command_message` needs to check it later.
    """
    required = set(signers)
    given = [entry["personal_code"] for entry in signatures]
    if len(set(given)) != len(given):
        raise InvalidSignature(Message(N_("{FIELD}: each person signs once"), {"FIELD": FIELD}))
    missing = sorted(required - set(given))
    if missing:
        raise InvalidSignature(
            Message(
                N_("{FIELD}: missing the signature of {choices}"),
                {"FIELD": FIELD, "choices": ", ".join(missing)},
            )
        )
    extra = sorted(set(given) - required)
    if extra:
        raise InvalidSignature(
            Message(
                N_("{FIELD}: {choices} is not a party to this command"),
                {"FIELD": FIELD, "choices": ", ".join(extra)},
            )
        )
    try:
        canonical(payload)
    except NotCanonicalError as error:
        raise InvalidCommand(
            Message(N_("the command cannot be signed: {error}"), {"error": error})
        ) from None
    verified = []
    for index, entry in enumerate(signatures):
        code, nonce = entry["personal_code"], entry["nonce"]
        key = current_public_key(code)
        if key is None:
            raise InvalidSignature(
                Message(
                    N_(
                        "{FIELD}.{index}: {code} has no current e-ID key (none registered or "
                        "revoked)"
                    ),
                    {"FIELD": FIELD, "index": index, "code": code},
                )
            )
        message = command_message(registry, command, target, payload, code, nonce)
        if not signed_by(key, message, bytes.fromhex(entry["signature"])):
            raise InvalidSignature(
                Message(
                    N_(
                        "{FIELD}.{index}: the signature of {code} does not verify with their e-ID "
                        "key"
                    ),
                    {"FIELD": FIELD, "index": index, "code": code},
                )
            )
        verified.append(
            {
                "personal_code": code,
                "key_id": key_id_of(key),
                "target": canonical(target).decode(),
                "nonce": nonce,
                "signature": entry["signature"],
            }
        )
    return verified


@contextmanager
def spent_nonces(signatures: list[dict[str, str]]) -> Iterator[None]:
    """Spend the signatures' nonces; give them back if the command is refused."""
    spent: list[int] = []
    try:
        for entry in signatures:
            try:
                with transaction.atomic():
                    used = UsedNonce.objects.create(
                        personal_code=entry["personal_code"], nonce=entry["nonce"]
                    )
            except IntegrityError:
                raise NonceReplayed(
                    Message(
                        N_(
                            "{FIELD}: {signer} has already signed with nonce "
                            "{nonce!r}; sign again with a new nonce"
                        ),
                        {
                            "FIELD": FIELD,
                            "signer": entry["personal_code"],
                            "nonce": entry["nonce"],
                        },
                    )
                ) from None
            spent.append(used.pk)
        yield
    except BaseException:
        UsedNonce.objects.filter(pk__in=spent).delete()
        raise


@contextmanager
def verified_signatures(
    request: Request,
    registry: str,
    command: str,
    signers: Iterable[str],
    payload: dict[str, Any] | None = None,
) -> Iterator[list[dict[str, str]]]:
    """The verified signatures of exactly ``signers`` of ``command`` on the request's
    target over ``payload`` (the request's body without ``signatures`` unless given),
    with their nonces spent (given back if the block raises)."""
    data = request.data
    entries = SignatureSerializer(data=(data or {}).get(FIELD, []), many=True)
    entries.is_valid(raise_exception=True)
    signatures = verify_signatures(
        registry,
        command,
        request_target(request),
        signed_payload(data) if payload is None else payload,
        [dict(entry) for entry in entries.validated_data],
        signers,
    )
    with spent_nonces(signatures):
        yield signatures


@contextmanager
def require_signature_by_current_key(
    request: Request, personal_code: str, command: str, payload: dict[str, Any]
) -> Iterator[dict[str, str]]:
    """The person's own signature of identity ``command`` on the request's target over
    ``payload``, made with their current, unrevoked e-ID key; its nonce spent.

    For acts that change the person's keys (register another key, rotate): a stolen
    token alone must not let anyone put their own key in. A person without a current
    key (revoked, or none yet) is refused (400); only a registrar can help them.
    """
    with verified_signatures(request, "identity", command, {personal_code}, payload) as (signed,):
        yield signed


class SignedCommandMixin:
    """For views of signed commands: verify, spend nonces, hand over the signatures.
    Throttled as e-services."""

    throttle_scope = "e-services"
    signed_registry: str = ""
    signed_command: str = ""

    @contextmanager
    def verified(self, request: Request, signers: Iterable[str]) -> Iterator[list[dict[str, str]]]:
        """The verified signatures of exactly ``signers``, with their nonces spent."""
        with verified_signatures(
            request, self.signed_registry, self.signed_command, signers
        ) as signatures:
            yield signatures
