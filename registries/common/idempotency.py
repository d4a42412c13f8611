"""``Idempotency-Key`` for every POST of the API (draft-ietf-httpapi-idempotency-key-header).

A client that may retry a POST sends a unique ``Idempotency-Key``. The first
request runs and how it was answered is stored under (caller, key) with a
SHA-256 of the method, path and body; a repeat with the same request gets the
first answer's status and the headers that locate its result
(:data:`REPLAYED_HEADERS`: Location, Content-Location, ETag, Link), marked
``Idempotent-Replayed: true`` (the draft leaves the marker open; this is the
name common APIs use), and writes nothing. The replay has NO body: the store
keeps no personal data in clear (DESIGN §8), so the answer's body is never
stored; a client that needs the result reads it afresh from ``Location``
(which also shows what an erasure or a later change did to it). Headers about
this delivery (Date, throttling, CORS) are made afresh. The same key with
another request is refused with 422, a repeat while the first is still
running with 409, a malformed key with 400, all as problem+json.

The caller is stored as a keyed hash of their username (a personal code for
a person), so that :func:`forget_person` finds a person's rows when the person
is erased without the code being stored. Rows expire after
``RIIK_IDEMPOTENCY_TTL`` seconds: :func:`purge_expired` deletes them before
every remembered POST (so an expired row is never replayed) and hourly from
beat (so a quiet node keeps none either).

Only authenticated callers' requests are remembered: an anonymous POST (the
sign-in endpoints) must never hand its answer, such as a token, to whoever
sends the same bytes again, so there the header is ignored. Answers with a
5xx status are forgotten, so the client may retry them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from registries.common.api.problems import PROBLEM_MEDIA_TYPE, problem_type
from registries.common.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# Headers that belong to the result, so a replay must give them back as they were.
REPLAYED_HEADERS = ("Location", "Content-Location", "ETag", "Link")
_META = "HTTP_IDEMPOTENCY_KEY"
# Printable ASCII without spaces, as an opaque token (a UUID fits).
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_CALLER_SALT = "riik.idempotency.caller"


def caller_hash(username: str) -> str:
    """The keyed hash (HMAC-SHA256 under SECRET_KEY) a caller's rows are stored under."""
    return salted_hmac(_CALLER_SALT, username, algorithm="sha256").hexdigest()


def _expired_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.RIIK_IDEMPOTENCY_TTL)


def purge_expired() -> int:
    """Delete the rows older than ``RIIK_IDEMPOTENCY_TTL``; return how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=_expired_before()).delete()
    return deleted


def forget_person(personal_code: str) -> int:
    """Delete the rows of the person's own requests (erasure); return how many."""
    deleted, _ = IdempotentRequest.objects.filter(caller=caller_hash(personal_code)).delete()
    return deleted


def _problem(request: HttpRequest, status: int, slug: str, title: str, detail: str) -> HttpResponse:
    body = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_MEDIA_TYPE)


def _caller(request: HttpRequest) -> Any | None:
    """The authenticated user, found the way the API's views will find them."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user  # a session
    drf_request = Request(
        request,
        authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES],  # type: ignore[operator]  # classes, typed as str
    )
    try:
        user = drf_request.user
    except APIException:
        return None  # bad credentials: the view answers 401 itself
    return user if user is not None and user.is_authenticated else None


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (b"POST", request.path.encode(), request.body):
        # Length-prefixed, so no two different requests give the same bytes.
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class IdempotencyKeyMiddleware:
    """Replays the first answer to a POST repeated with the same ``Idempotency-Key``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Run the request once per (caller, key); answer repeats from the record."""
        key = request.META.get(_META)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not _KEY.match(key):
            return _problem(
                request,
                400,
                "invalid-idempotency-key",
                "Invalid Idempotency-Key",
                f"{HEADER} must be 1 to 255 printable ASCII characters without spaces",
            )
        user = _caller(request)
        if user is None or _declared_length(request) > settings.RIIK_MAX_REQUEST_BYTES:
            # An oversize body is never read here: the API refuses it (413).
            return self.get_response(request)
        caller = caller_hash(user.get_username())
        request_hash = _request_hash(request)
        # Expired rows go now, not only at the hourly purge: one is never
        # replayed past its lifetime, and the embedded mode (no beat) purges too.
        purge_expired()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    caller=caller, key=key, request_hash=request_hash
                )
        except IntegrityError:
            return self._repeat(request, caller, key, request_hash)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        record.status = response.status_code
        record.headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}
        record.save(update_fields=["status", "headers"])
        return response

    def _repeat(
        self, request: HttpRequest, caller: str, key: str, request_hash: str
    ) -> HttpResponse:
        record = IdempotentRequest.objects.get(caller=caller, key=key)
        if record.request_hash != request_hash:
            return _problem(
                request,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                f"this {HEADER} was already used for another request; "
                "use a new key for a new request",
            )
        if record.status is None:
            response = _problem(
                request,
                409,
                "idempotent-request-in-progress",
                "Request in progress",
                f"the first request with this {HEADER} is still running; retry shortly",
            )
            response["Retry-After"] = "1"
            return response
        response = HttpResponse(status=record.status)
        # No body, so no media type to claim for it.
        del response["Content-Type"]
        for name, value in record.headers.items():
            response[name] = value
        response[REPLAYED] = "true"
        return response
