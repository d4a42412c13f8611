"""Every API error as an RFC 9457 problem document (``application/problem+json``).

``problem_exception_handler`` is DRF's ``EXCEPTION_HANDLER``: it turns refused
registry commands (:class:`~registries.common.errors.RegistryError`), DRF's
own exceptions (validation, authentication, permission, throttling, parsing,
method, content negotiation), Django's ``Http404``/``PermissionDenied`` and,
as a last resort, unexpected failures into one JSON shape::

    {
      "type": "https://riik.example/problems/validation-error",
      "title": "Invalid request data",
      "status": 400,
      "detail": "share_capital_cents: A valid integer is required.",
      "instance": "/api/v1/business/companies/",
      "errors": {"share_capital_cents": ["A valid integer is required."]}
    }

``errors`` (field -> messages) is present for validation errors only; nested
fields are named with dots (``founders.0``).

Titles and details answer in the request's language (``Accept-Language: et``,
chosen by Django's ``LocaleMiddleware``), English otherwise: titles and fixed
texts are marked in the pure code (:func:`~registries.common.texts.N_`) and
translated here; a refusal made from a :class:`~registries.common.texts.Message`
is translated and then formatted; any other detail stays in English. ``type``
and the field names in ``errors`` never change with the language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from registries.common.api.parsers import too_large
from registries.common.errors import InvalidCommand, RegistryError
from registries.common.texts import N_

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://riik.example/problems/"

# DRF exception code -> (slug, title)
_DRF_PROBLEMS: dict[str, tuple[str, str]] = {
    "invalid": ("validation-error", N_("Invalid request data")),
    "parse_error": ("malformed-request", N_("Malformed request body")),
    "authentication_failed": ("authentication-failed", N_("Authentication failed")),
    "not_authenticated": ("not-authenticated", N_("Authentication required")),
    "permission_denied": ("permission-denied", N_("Permission denied")),
    "not_found": ("not-found", N_("Not found")),
    "method_not_allowed": ("method-not-allowed", N_("Method not allowed")),
    "not_acceptable": ("not-acceptable", N_("Not acceptable")),
    "unsupported_media_type": ("unsupported-media-type", N_("Unsupported media type")),
    "throttled": ("throttled", N_("Too many requests")),
    "request_too_large": ("request-too-large", N_("Request body too large")),
}
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*): (.+)$", re.DOTALL)


class ProblemJSONRenderer(JSONRenderer):
    """JSON rendered with the ``application/problem+json`` content type."""

    media_type = PROBLEM_MEDIA_TYPE
    format = "problem+json"


class ProblemSerializer(serializers.Serializer[Any]):
    """An RFC 9457 problem document (documentation only)."""

    type = serializers.URLField(help_text="URI naming the kind of problem")
    title = serializers.CharField(help_text="Short summary of the kind of problem")
    status = serializers.IntegerField(help_text="HTTP status code")
    detail = serializers.CharField(help_text="What went wrong with this request")
    instance = serializers.CharField(help_text="Path of the request")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field, not the property
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors: field name -> messages",
    )

    class Meta:
        ref_name = "Problem"


_PROBLEM_DESCRIPTIONS = {
    400: "Invalid request (problem+json; `errors` names the fields)",
    401: "Authentication required (problem+json)",
    403: "Permission denied (problem+json)",
    404: "Not found (problem+json)",
    409: "Conflict with the registry's state (problem+json)",
    413: "Request body over RIIK_MAX_REQUEST_BYTES (problem+json)",
    429: "Too many requests (problem+json, Retry-After)",
    503: "A service the request needs did not answer in time; try again (problem+json)",
}


def problem_responses(*statuses: int) -> dict[Any, OpenApiResponse]:
    """``extend_schema(responses=...)`` entries for problem documents."""
    return {
        (status, PROBLEM_MEDIA_TYPE): OpenApiResponse(
            ProblemSerializer, description=_PROBLEM_DESCRIPTIONS.get(status, "Problem")
        )
        for status in statuses
    }


def problem_type(slug: str) -> str:
    """The ``type`` URI of a problem slug."""
    return PROBLEM_BASE + slug


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list | tuple):
                # A list of nested objects/lists: number its items.
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for field, messages in flatten_errors(item, name).items():
                        flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(item))
    else:
        flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(detail))
    return flat


def _summary(errors: dict[str, list[str]]) -> str:
    parts: list[str] = []
    for field, messages in errors.items():
        label = "" if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: "
        parts.extend(label + message for message in messages)
    return "; ".join(parts) or gettext("The request data is invalid.")


def _problem(
    request: Any,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": gettext(title),
        "status": status,
        "detail": detail,
        "instance": request.path if request is not None else "",
    }
    if errors:
        body["errors"] = errors
    if request is not None:
        # Whatever the client accepted, a problem is rendered as problem+json.
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = PROBLEM_MEDIA_TYPE
    return Response(body, status=status, headers=headers, content_type=PROBLEM_MEDIA_TYPE)


def _registry_problem(request: Any, exc: RegistryError) -> Response:
    # A fixed text marked where it was raised is in the catalog; any other stays English.
    detail = exc.translated(gettext)
    errors = None
    if isinstance(exc, InvalidCommand):
        match = _FIELD_PREFIX.match(detail)
        if match:
            errors = {match.group(1): [match.group(2)]}
    return _problem(request, exc.status, exc.slug, exc.title, detail, errors)


def _api_problem(request: Any, exc: exceptions.APIException) -> Response:
    code = exc.default_code
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    slug, title = _DRF_PROBLEMS.get(code, (code.replace("_", "-"), N_("Request failed")))
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, round(wait)))
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return _problem(request, exc.status_code, slug, title, _summary(errors), errors, headers)
    detail = exc.detail
    # DRF's own details come translated; a fixed text marked elsewhere is in the catalog.
    text = _summary(flatten_errors(detail)) if isinstance(detail, list | dict) else gettext(detail)
    return _problem(request, exc.status_code, slug, title, text, headers=headers)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler that answers every error with a problem document."""
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args) if exc.args else exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args) if exc.args else exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django's own bound on a body it reads (forms, the body read whole).
        exc = too_large()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    if isinstance(exc, RegistryError):
        set_rollback()
        return _registry_problem(request, exc)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _api_problem(request, exc)

    if settings.DEBUG:
        return None  # Django's debug page shows the traceback.
    set_rollback()
    log.error("unhandled error in %s", request.path if request is not None else "?", exc_info=exc)
    return _problem(
        request,
        500,
        "internal-error",
        N_("Internal error"),
        gettext("The server failed to handle this request; it has been logged."),
    )
