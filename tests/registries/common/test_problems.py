"""Every API error as an RFC 9457 problem document (application/problem+json)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from registries.common.api.problems import PROBLEM_MEDIA_TYPE, flatten_errors
from registries.common.errors import Conflict, InvalidCommand, NotFound, RegistryError

factory = APIRequestFactory()


class Gone(RegistryError):
    status = 410
    title = "Gone from the registry"
    slug = "gone"


class Nested(serializers.Serializer[Any]):
    year = serializers.IntegerField()


class Body(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=5)
    codes = serializers.ListField(child=serializers.RegexField(r"^[0-9]+$"))
    report = Nested()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raise serializers.ValidationError("the whole thing is wrong")


def view_raising(exc: Exception) -> Any:
    class Raising(APIView):
        permission_classes = [AllowAny]
        throttle_classes = []

        def get(self, request: Request) -> Response:
            raise exc

    return Raising.as_view()


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    response.render()
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM_MEDIA_TYPE
    body = json.loads(response.content)
    assert body["type"] == f"https://riik.example/problems/{slug}"
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["instance"] == "/somewhere/"
    return dict(body)


@pytest.mark.parametrize(
    ("error", "status", "slug", "title"),
    [
        (
            InvalidCommand("amount_cents: must be positive"),
            400,
            "invalid-command",
            "Invalid command",
        ),
        (NotFound("no company with registry code 10000018"), 404, "not-found", "Not found"),
        (Conflict("year: already filed"), 409, "conflict", "Conflict with the registry's state"),
        (Gone("deleted long ago"), 410, "gone", "Gone from the registry"),
    ],
)
def test_registry_errors_map_by_their_status_title_and_slug(
    error: RegistryError, status: int, slug: str, title: str
) -> None:
    body = problem(view_raising(error)(factory.get("/somewhere/")), status, slug)
    assert body["title"] == title
    assert body["detail"] == str(error)


def test_an_invalid_command_naming_a_field_lists_it_in_errors() -> None:
    body = problem(
        view_raising(InvalidCommand("amount_cents: must be positive"))(factory.get("/somewhere/")),
        400,
        "invalid-command",
    )
    assert body["errors"] == {"amount_cents": ["must be positive"]}


def test_a_conflict_has_no_errors_member() -> None:
    body = problem(view_raising(Conflict("x: y"))(factory.get("/somewhere/")), 409, "conflict")
    assert "errors" not in body


def test_validation_errors_list_every_field_with_dotted_names() -> None:
    serializer = Body(data={"name": "too long", "codes": ["1", "x"], "report": {"year": "?"}})
    assert not serializer.is_valid()
    error = exceptions.ValidationError(serializer.errors)
    body = problem(view_raising(error)(factory.get("/somewhere/")), 400, "validation-error")
    assert set(body["errors"]) == {"name", "codes.1", "report.year"}
    assert all(isinstance(messages, list) for messages in body["errors"].values())
    assert "name: Ensure this field has no more than 5 characters." in body["detail"]


def test_non_field_validation_errors_are_listed_under_non_field_errors() -> None:
    serializer = Body(data={"name": "ok", "codes": ["1"], "report": {"year": 1}})
    assert not serializer.is_valid()
    error = exceptions.ValidationError(serializer.errors)
    body = problem(view_raising(error)(factory.get("/somewhere/")), 400, "validation-error")
    assert body["errors"] == {"non_field_errors": ["the whole thing is wrong"]}
    assert body["detail"] == "the whole thing is wrong"


def test_flatten_errors_handles_strings_lists_and_nesting() -> None:
    assert flatten_errors("bad") == {"non_field_errors": ["bad"]}
    assert flatten_errors(["a", "b"]) == {"non_field_errors": ["a", "b"]}
    assert flatten_errors({"x": {"0": ["bad"], "1": []}, "y": [{}, {"z": ["no"]}]}) == {
        "x.0": ["bad"],
        "y.1.z": ["no"],
    }


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (exceptions.NotAuthenticated(), 401, "not-authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication-failed"),
        (exceptions.PermissionDenied(), 403, "permission-denied"),
        (DjangoPermissionDenied(), 403, "permission-denied"),
        (exceptions.NotFound(), 404, "not-found"),
        (Http404(), 404, "not-found"),
        (exceptions.MethodNotAllowed("PATCH"), 405, "method-not-allowed"),
        (exceptions.NotAcceptable(), 406, "not-acceptable"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "unsupported-media-type"),
        (exceptions.ParseError(), 400, "malformed-request"),
    ],
)
def test_drf_and_django_exceptions_become_problems(
    error: Exception, status: int, slug: str
) -> None:
    problem(view_raising(error)(factory.get("/somewhere/")), status, slug)


def test_missing_token_is_401_with_www_authenticate() -> None:
    class Private(APIView):
        authentication_classes = [TokenAuthentication]

        def post(self, request: Request) -> Response:
            return Response({})

    response = Private.as_view()(factory.post("/somewhere/", {}, format="json"))
    problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_throttled_is_429_with_retry_after() -> None:
    response = view_raising(exceptions.Throttled(wait=12.4))(factory.get("/somewhere/"))
    body = problem(response, 429, "throttled")
    assert response["Retry-After"] == "13"  # rounded up: never too early
    assert "13 seconds" in body["detail"]


def test_malformed_json_body_is_a_400_problem() -> None:
    class Echo(APIView):
        permission_classes = [AllowAny]
        throttle_classes = []

        def post(self, request: Request) -> Response:
            return Response(request.data)

    request = factory.post("/somewhere/", '{"a": ', content_type="application/json")
    body = problem(Echo.as_view()(request), 400, "malformed-request")
    assert "JSON parse error" in body["detail"]


def test_a_problem_is_problem_json_even_when_the_client_asks_for_html() -> None:
    request = factory.get("/somewhere/", HTTP_ACCEPT="text/html")
    problem(view_raising(NotFound("nothing here"))(request), 404, "not-found")


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="registries.common.api.problems"):
        response = view_raising(RuntimeError("secret internals"))(factory.get("/somewhere/"))
    body = problem(response, 500, "internal-error")
    assert "secret" not in body["detail"]
    assert "secret internals" in caplog.text
