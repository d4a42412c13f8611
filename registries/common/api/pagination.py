"""The API's page-number pagination: a ``page`` that is no page number is a 400.

DRF answers ``?page=abc`` with 404 "Invalid page", as if the list had no
such page; it is a malformed request, so it is refused as one (400
problem+json naming ``page``). A well-formed page past the end is still 404.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Paginator
from rest_framework import exceptions, pagination
from rest_framework.request import Request

from registries.common.counting import EstimatedCountPaginator

# 1 to 999999999: a whole number from 1, short enough to be no attack on int().
_PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination with the ``page`` parameter checked first; the
    ``count`` of a whole large table is PostgreSQL's estimate (registries.common.counting)."""

    django_paginator_class = EstimatedCountPaginator

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> Any:
        """The requested page: absent or empty is 1, ``last`` the last, else a whole number."""
        page: str | None = request.query_params.get(self.page_query_param)
        if not page or page in self.last_page_strings or _PAGE_NUMBER.match(page):
            return super().get_page_number(request, paginator)
        raise exceptions.ValidationError(
            {self.page_query_param: ["A page number is a whole number from 1."]}
        )
