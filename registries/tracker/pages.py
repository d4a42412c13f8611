"""Admin pages that show persons' health or court data are tracked reads.

A registry's admin of such records subclasses :class:`TrackedAdmin` and says
how it records a read of some of its records (:meth:`TrackedAdmin.track_shown`,
through :func:`registries.tracker.services.record_read`). Then every page that
finds a person's data is tracked, with the persons of the records it showed:

* a record's page and its history page;
* a search (``?q=``) or a list filtered by any lookup in its query string: the
  records on the page shown. A list neither searched nor filtered finds nobody
  in particular and is not tracked.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from registries.access.admin import CommandAdmin

RECORD = "record"
HISTORY = "history"
SEARCH = "search"
PAGES = (RECORD, HISTORY, SEARCH)


class TrackedAdmin(CommandAdmin):
    """A read model holding persons' data: its record, history and search pages are tracked."""

    def track_shown(self, request: HttpRequest, records: list[Any], page: str) -> None:
        """Record that the user saw these records on a ``page`` (one of :data:`PAGES`)."""
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        if record is not None:
            self.track_shown(request, [record], RECORD)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        if record is not None and self.has_view_or_change_permission(request, record):
            self.track_shown(request, [record], HISTORY)
        return super().history_view(request, object_id, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # A redirect or a refusal has no change list; a rendered page shows cl.result_list.
        # Every lookup in the query string counts, not only the filters the sidebar
        # offers: ``?kind=criminal`` filters as ``?kind__exact=criminal`` does.
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and (changelist.query or changelist.get_filters_params()):
            self.track_shown(request, list(changelist.result_list), SEARCH)
        return response
