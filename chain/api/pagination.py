"""The API's cursor pagination: a cursor that is not one the server gave is a 400.

DRF answers a malformed ``?cursor=`` with 404 "Invalid cursor", as if the
feed had no such position; it is a malformed request, so it is refused as
one (400 problem+json naming ``cursor``). Used by the chain's feeds and the
registries' ``/me`` feeds alike (chain imports no registry, so it lives here).
"""

from __future__ import annotations

from rest_framework import exceptions, pagination
from rest_framework.pagination import Cursor
from rest_framework.request import Request


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination that refuses a malformed cursor with 400."""

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The position the cursor names; a malformed one is a validation error."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {
                    self.cursor_query_param: [
                        "Not a cursor of this feed: follow its next/previous links."
                    ]
                }
            ) from None
