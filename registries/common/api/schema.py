"""What every operation of the API may answer, added to the OpenAPI schema in one place.

drf-spectacular documents what each view says it answers; some answers come
from the framework around every view instead: a bad or expired token (401),
throttling (429), an unknown URL or page (404), an unacceptable ``Accept``
(406) or body type (415), a body over ``RIIK_MAX_REQUEST_BYTES`` (413), a
reused ``Idempotency-Key`` (409, 422). This
post-processing hook adds them as problem+json responses to every operation
that does not document them itself, so the schema tells the truth and the
fuzzer (tests/config/test_schemathesis.py) holds the API to it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext

from registries.common.api.problems import PROBLEM_MEDIA_TYPE, problem_type

_EVERYWHERE = {
    "400": "Invalid request (problem+json; `errors` names the fields)",
    "401": "Missing, bad or expired credentials (problem+json)",
    "403": "Permission denied (problem+json)",
    "404": "Not found, or no such page (problem+json)",
    "406": "Not acceptable (problem+json)",
    "429": "Too many requests (problem+json, Retry-After)",
}
_ON_POST = {
    "409": "Conflict with the registry's state, or the first request with this "
    "Idempotency-Key is still running (problem+json)",
    "413": "Request body over RIIK_MAX_REQUEST_BYTES (problem+json)",
    "415": "Unsupported media type (problem+json)",
    "422": "Idempotency-Key already used for another request (problem+json)",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# Integer bounds Django takes from the database backend (32-bit on PostgreSQL,
# 64-bit on SQLite) are storage limits, not part of the API: dropped, so the
# schema is the same whichever database generates it.
_STORAGE_MAXIMUMS = {2**31 - 1, 2**63 - 1}
_STORAGE_MINIMUMS = {-(2**31), -(2**63)}


def drop_storage_bounds(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: integer schemas without the database's own limits."""
    _drop_bounds(result)
    return result


def _drop_bounds(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _drop_bounds(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer" and node.get("maximum") in _STORAGE_MAXIMUMS:
        del node["maximum"]
        if node.get("minimum") in _STORAGE_MINIMUMS:
            del node["minimum"]
        if node.get("format") == "int64":
            del node["format"]
    for value in node.values():
        _drop_bounds(value)


def add_framework_problems(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: the framework's problem answers on every operation."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = {**_EVERYWHERE, **(_ON_POST if method == "post" else {})}
            responses = operation["responses"]
            for status, description in extra.items():
                content = responses.setdefault(status, {"description": description}).setdefault(
                    "content", {}
                )
                content.setdefault(PROBLEM_MEDIA_TYPE, {"schema": _PROBLEM_REF})
    return result


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """``handler404``: an unknown URL as a problem document, not an HTML page."""
    return _problem(
        request, 404, "not-found", gettext("Not found"), gettext("There is nothing at this URL.")
    )


def server_error(request: HttpRequest) -> JsonResponse:
    """``handler500``: a failure outside DRF's views as a problem document."""
    return _problem(
        request,
        500,
        "internal-error",
        gettext("Internal error"),
        gettext("The server failed to handle this request; it has been logged."),
    )


def _problem(request: HttpRequest, status: int, slug: str, title: str, detail: str) -> JsonResponse:
    body = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_MEDIA_TYPE)
