"""``/api/v1/me/``: every registry's views of the signed-in citizen's own records.

Each registry that has them lists them in ``me_urlpatterns`` in its
``registries/<name>/api/urls.py``; this module mounts them all under
``/api/v1/me/`` (registries without the list are skipped) and answers the
index with what is there.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import MyDataPermission, MyReceiptView, my_code
from registries.common.api.problems import problem_responses


def registry_me_patterns() -> list[URLPattern | URLResolver]:
    """The ``me_urlpatterns`` of every installed registry, in app order."""
    patterns: list[URLPattern | URLResolver] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("registries."):
            continue
        try:
            urls = import_module(f"{config.name}.api.urls")
        except ModuleNotFoundError:
            continue
        patterns.extend(getattr(urls, "me_urlpatterns", []))
    return patterns


class MyIndexSerializer(serializers.Serializer[Any]):
    personal_code = serializers.CharField()
    links = serializers.DictField(
        child=serializers.CharField(), help_text="Name of each of my views -> its URL"
    )


class MyIndexView(GenericAPIView[Any]):
    """Who I am signed in as, and where my records are."""

    permission_classes = [MyDataPermission]
    serializer_class = MyIndexSerializer
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary="My data: links to my records in every registry",
        responses={200: MyIndexSerializer, **problem_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        code = my_code(request)
        links = {
            str(pattern.pattern).strip("/"): request.build_absolute_uri(str(pattern.pattern))
            for pattern in _PATTERNS
        }
        return Response(MyIndexSerializer({"personal_code": code, "links": links}).data)


_PATTERNS = registry_me_patterns()
urlpatterns: list[URLPattern | URLResolver] = [
    path("", MyIndexView.as_view(), name="me"),
    path("receipts/<str:registry>/<int:seq>/", MyReceiptView.as_view(), name="me-receipt"),
    *_PATTERNS,
]
