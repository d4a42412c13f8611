"""``Idempotency-Key`` for every POST of the API (draft-ietf-httpapi-idempotency-key-header).

A client that may retry a POST sends a unique ``Idempotency-Key``. The first
request runs and its answer is stored under (caller, key) with the method,
path and a SHA-256 of the body; a repeat with the same method, path and body
gets the stored answer and writes nothing: the same status, body, content type
and the headers that describe the result (:data:`REPLAYED_HEADERS`: Location,
Content-Location, ETag, Link), marked ``Idempotent-Replayed: true`` (the
draft leaves the marker open; this is the name common APIs use). Headers
about this delivery (Date, throttling, CORS) are made afresh. The
same key with another request is refused with 422, a repeat while the first
is still running with 409, a malformed key with 400, all as problem+json.

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
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
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
        if user is None:
            return self.get_response(request)
        body_hash = hashlib.sha256(request.body).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    user=user, key=key, method="POST", path=request.path, body_hash=body_hash
                )
        except IntegrityError:
            return self._repeat(request, user, key, body_hash)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        record.status = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}
        record.save(update_fields=["status", "content_type", "body", "headers"])
        return response

    def _repeat(self, request: HttpRequest, user: Any, key: str, body_hash: str) -> HttpResponse:
        record = IdempotentRequest.objects.get(user=user, key=key)
        if (record.method, record.path, record.body_hash) != ("POST", request.path, body_hash):
            return _problem(
                request,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                f"this {HEADER} was already used for another request "
                f"(POST {record.path}); use a new key for a new request",
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
        response = HttpResponse(
            bytes(record.body), status=record.status, content_type=record.content_type or None
        )
        for name, value in record.headers.items():
            response[name] = value
        response[REPLAYED] = "true"
        return response
