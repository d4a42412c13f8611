"""The API's cursor pagination: a cursor or page size that is not one the server
allows is a 400.

DRF answers a malformed ``?cursor=`` with 404 "Invalid cursor", as if the
feed had no such position, and quietly replaces a bad ``?page_size=`` with the
default or the maximum; both are malformed requests, so they are refused as
such (400 problem+json naming the parameter). Used by the chain's feeds and the
registries' ``/me`` feeds alike (chain imports no registry, so it lives here).
"""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import exceptions, pagination
from rest_framework.pagination import Cursor
from rest_framework.request import Request


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination that refuses a malformed cursor or page size with 400.

    A feed that lets the reader choose the page size sets
    ``page_size_query_param`` and ``max_page_size``.
    """

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The position the cursor names; a malformed one is a validation error."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {
                    self.cursor_query_param: [
                        gettext("Not a cursor of this feed: follow its next/previous links.")
                    ]
                }
            ) from None

    def get_page_size(self, request: Request) -> int | None:
        """The page size asked for, 1 to ``max_page_size``; anything else is a 400."""
        name = self.page_size_query_param
        raw = request.query_params.get(name) if name else None
        if name is None or raw is None:
            return self.page_size
        limit = self.max_page_size or self.page_size or 1
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= limit:
            raise exceptions.ValidationError(
                {name: [gettext("a whole number from 1 to {limit}").format(limit=limit)]}
            )
        return int(raw)
