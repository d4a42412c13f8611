"""HTTP client of the citizen API (standard library ``urllib`` and ``cryptography``)."""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from chain.encoding import canonical


class ClientError(Exception):
    """The server refused a request; ``problem`` is its RFC 9457 problem document."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', problem)}")
        self.status = status
        self.problem = problem


def new_key(path: Path) -> str:
    """Write a new Ed25519 e-ID key (PKCS#8 PEM, owner-only); return its public key, hex.

    The file is created owner-only from its first byte, and never over an existing
    file (FileExistsError): a second ``keygen`` must not destroy the key a person
    holds, which the registry knows them by.
    """
    key = Ed25519PrivateKey.generate()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return public_hex(key)


def load_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file written by :func:`new_key`."""
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return key


def public_hex(key: Ed25519PrivateKey) -> str:
    """The raw public key, hex, as the identity registry records it."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def target(name: str, **kwargs: str) -> dict[str, Any]:
    """What a signed command acts on: its endpoint's URL name and the URL's arguments
    (``target("business:e-service-change-board", code="12345678")``)."""
    return {"name": name, "kwargs": kwargs}


def command_message(
    chain_id: str,
    registry: str,
    command: str,
    target: dict[str, Any],
    payload: dict[str, Any],
    signer: str,
    nonce: str,
) -> bytes:
    """The bytes a signer signs (the server's ``registries.access.signing``)."""
    return canonical(
        {
            "purpose": "riik-command",
            "chain_id": chain_id,
            "registry": registry,
            "command": command,
            "target": target,
            "payload": payload,
            "signer": signer,
            "nonce": nonce,
        }
    )


def sign_command(
    key: Ed25519PrivateKey,
    signer: str,
    chain_id: str,
    registry: str,
    command: str,
    target: dict[str, Any],
    payload: dict[str, Any],
) -> dict[str, str]:
    """One entry of a command's ``signatures`` for ``target``, under a fresh random nonce."""
    nonce = secrets.token_urlsafe(24)
    message = command_message(chain_id, registry, command, target, payload, signer, nonce)
    return {"personal_code": signer, "nonce": nonce, "signature": key.sign(message).hex()}


class Client:
    """A citizen's session with a Riik server."""

    def __init__(
        self, server: str, chain_id: str = "riik-dev", timeout: float = 30.0, language: str = ""
    ) -> None:
        self.server = server.rstrip("/")
        self.chain_id = chain_id
        self.timeout = timeout
        # Sent as Accept-Language: the server's problems come in it (none: English).
        self.language = language
        self.token: str | None = None
        self.personal_code: str | None = None

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request; return the decoded JSON answer or raise :class:`ClientError`.

        Every POST carries a fresh ``Idempotency-Key``; a POST whose answer
        was lost on the way is sent once more with the same key, so it takes
        effect at most once.
        """
        headers = {"Accept": "application/json"}
        if self.language:
            headers["Accept-Language"] = self.language
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        attempts = 1
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
            attempts = 2
        for attempt in range(attempts):
            request = urllib.request.Request(  # noqa: S310 - the user names the server
                self.server + path, data=data, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                text = error.read()
                try:
                    problem = json.loads(text)
                except ValueError:
                    problem = {"detail": text.decode(errors="replace")}
                raise ClientError(error.code, problem) from None
            except (urllib.error.URLError, TimeoutError):
                if attempt + 1 == attempts:
                    raise
        raise AssertionError("unreachable")

    def sign_in(
        self, personal_code: str, key: Ed25519PrivateKey, role: str = "", organisation: str = ""
    ) -> dict[str, Any]:
        """E-ID sign-in: sign the server's challenge; keep the short-lived token
        (acting as an official's ``role``, or for ``organisation``, a company whose board
        the person sits on or another organisation they represent)."""
        self.token = None
        challenge = self.request(
            "POST", "/api/v1/identity/sign-in/challenge/", {"personal_code": personal_code}
        )
        body = {
            "personal_code": personal_code,
            "nonce": challenge["nonce"],
            "signature": key.sign(challenge["message"].encode()).hex(),
        }
        if role:
            body["role"] = role
        if organisation:
            body["organisation"] = organisation
        answer: dict[str, Any] = self.request("POST", "/api/v1/identity/sign-in/", body)
        self.token = answer["token"]
        self.personal_code = personal_code
        return answer

    def sign_out(self) -> None:
        """End the token held (``POST /api/v1/identity/sign-out/``); forget it."""
        if self.token:
            self.request("POST", "/api/v1/identity/sign-out/")
        self.token = None

    def me(self, view: str = "") -> Any:
        """``/api/v1/me/<view>``: my index, person, companies, properties, court-cases..."""
        return self.request("GET", f"/api/v1/me/{view.strip('/') + '/' if view else ''}")

    def signed_post(
        self,
        path: str,
        registry: str,
        command: str,
        target: dict[str, Any],
        payload: dict[str, Any],
        signers: list[tuple[str, Ed25519PrivateKey]],
    ) -> Any:
        """POST a signed command: every (personal code, key) in ``signers`` signs ``payload``
        for ``target`` (:func:`target`: the URL's name and arguments, matching ``path``)."""
        signatures = [
            sign_command(key, code, self.chain_id, registry, command, target, payload)
            for code, key in signers
        ]
        return self.request("POST", path, {**payload, "signatures": signatures})

    def register_company(
        self, payload: dict[str, Any], signers: list[tuple[str, Ed25519PrivateKey]]
    ) -> Any:
        """Register a company online; every founder and board member signs."""
        return self.signed_post(
            "/api/v1/business/e-services/companies/",
            "business",
            "register-company",
            target("business:e-service-register-company"),
            payload,
            signers,
        )

    def change_board(
        self, code: str, members: list[str], signers: list[tuple[str, Ed25519PrivateKey]]
    ) -> Any:
        """Change my company's board; I and every new member sign."""
        return self.signed_post(
            f"/api/v1/business/e-services/companies/{code}/board/",
            "business",
            "change-board",
            target("business:e-service-change-board", code=code),
            {"members": members},
            signers,
        )

    def buy(
        self, land_unit: str, terms: dict[str, Any], buyer: tuple[str, Ed25519PrivateKey]
    ) -> Any:
        """Buy a land unit delivery versus payment: ``terms`` are the notary-endorsed
        transfer (sellers, buyers, price_cents, unit_version, notary, signature) and my
        ``payment_id``; I sign them for this unit, so neither the unit nor the price can
        be changed. My payment and the title change are saved together, or neither."""
        return self.signed_post(
            f"/api/v1/property/e-services/land-units/{land_unit}/purchase/",
            "property",
            "buy",
            target("property:e-service-purchase", code=land_unit),
            terms,
            [buyer],
        )

    def change_consent(
        self, action: str, provider: str, signers: list[tuple[str, Ed25519PrivateKey]]
    ) -> Any:
        """Close or open my health record to a hospital (``provider=""``: to all); I sign."""
        return self.signed_post(
            "/api/v1/me/health/consents/",
            "health",
            "change-consent",
            target("me-health-consents"),
            {"action": action, "provider": provider},
            signers,
        )

    def appoint_representative(
        self, representative: str, signers: list[tuple[str, Ed25519PrivateKey]]
    ) -> Any:
        """Appoint a health representative; I and the representative (accepting) sign."""
        return self.signed_post(
            "/api/v1/me/health/representatives/",
            "health",
            "appoint-representative",
            target("me-health-representatives"),
            {"representative": representative},
            signers,
        )

    def remove_representative(
        self, representative: str, signers: list[tuple[str, Ed25519PrivateKey]]
    ) -> Any:
        """Remove a health representative; I sign."""
        return self.signed_post(
            "/api/v1/me/health/representatives/removal/",
            "health",
            "remove-representative",
            target("me-health-representative-removal"),
            {"representative": representative},
            signers,
        )

    def pay(
        self,
        payee: str,
        amount_cents: int,
        payment_id: str,
        payer: tuple[str, Ed25519PrivateKey],
        organisation: str = "",
    ) -> Any:
        """Pay from my wallet, or with ``organisation`` from the wallet of the company
        (or other organisation) I represent; I sign the payment id, payee, amount and
        the paying organisation, so the signature pays from no other wallet. Sending
        the same ``payment_id`` again answers the same payment (nothing moves twice)."""
        body: dict[str, Any] = {
            "payment_id": payment_id,
            "payee": payee,
            "amount_cents": amount_cents,
        }
        if organisation:
            body["payer"] = organisation
        return self.signed_post(
            "/api/v1/money/e-services/payments/",
            "money",
            "pay",
            target("money:e-service-pay"),
            body,
            [payer],
        )
