"""The API's page-number pagination: a ``page`` that is no page number is a 400.

DRF answers ``?page=abc`` with 404 "Invalid page", as if the list had no
such page; it is a malformed request, so it is refused as one (400
problem+json naming ``page``). A well-formed page past the end is still 404.

A whole table of more than 100 000 rows is counted by PostgreSQL's estimate
(registries.common.counting); the page says so in ``count_is_estimate`` beside
DRF's ``count``, so a client neither shows "1 234 567 results" as exact nor
trusts ``count`` to find the last page (it follows ``next`` instead).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Paginator
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response

from registries.common.counting import EstimatedCountPaginator

# 1 to 999999999: a whole number from 1, short enough to be no attack on int().
_PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination with the ``page`` parameter checked first; the
    ``count`` of a whole large table is PostgreSQL's estimate (registries.common.counting)."""

    django_paginator_class = EstimatedCountPaginator
    page: Any

    def get_paginated_response(self, data: Any) -> Response:
        """DRF's page, with ``count_is_estimate`` beside ``count``."""
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_is_estimate": paginator.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """DRF's page schema with ``count_is_estimate`` documented and required."""
        paged = super().get_paginated_response_schema(schema)
        properties = paged["properties"]
        paged["properties"] = {
            "count": properties.pop("count"),
            "count_is_estimate": {
                "type": "boolean",
                "description": (
                    "True when `count` is PostgreSQL's estimate of a whole table of more "
                    "than 100 000 rows rather than an exact count: the last page may be "
                    "short or empty; follow `next` to the end."
                ),
                "example": False,
            },
            **properties,
        }
        paged["required"] = ["count", "count_is_estimate", "results"]
        return paged

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> Any:
        """The requested page: absent or empty is 1, ``last`` the last, else a whole number."""
        page: str | None = request.query_params.get(self.page_query_param)
        if not page or page in self.last_page_strings or _PAGE_NUMBER.match(page):
            return super().get_page_number(request, paginator)
        raise exceptions.ValidationError(
            {self.page_query_param: ["A page number is a whole number from 1."]}
        )
