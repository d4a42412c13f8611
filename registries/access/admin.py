"""What the registries' admins share: read-only read models changed only by command forms.

A registry's admin subclasses :class:`CommandAdmin` for each read model and
names its catalog (:mod:`registries.access.catalog`), the target whose
commands it offers on a record as buttons and forms, and, optionally, the
command whose form adds a record (a registration). Records are never edited
or deleted directly; a refused command shows the registry's message on the
form (on the field it names) and writes nothing. Who may issue commands is
the subclass's :meth:`can_act`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from chain.blocks.status import LedgerStatus
from registries.access.catalog import Catalog, Command, Target
from registries.access.forms import CommandForm
from registries.common.api.serializers import ledger_history
from registries.common.commands import issue
from registries.common.counting import EstimatedCountPaginator
from registries.common.errors import RegistryError
from registries.common.statuses import attach_ledger_statuses, record_ledger_status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["CommandAdmin", "CommandForm", "euros", "html_table"]

# Django's own Estonian catalog leaves this header of the admin's index in English: the
# project's catalog, consulted first (LOCALE_PATHS), translates it.
DJANGO_GAPS = [gettext_noop("Change or view list link")]


def euros(cents: int) -> str:
    """``250000`` -> ``2 500.00 €``."""
    return f"{Decimal(cents) / 100:,.2f}".replace(",", "\u202f") + " €"


def html_table(headers: list[StrOrPromise], rows: list[list[Any]], empty: StrOrPromise) -> str:
    """A small HTML table for a read-only admin field (cells are escaped); ``headers`` and
    ``empty`` are marked for translation where they are written (``gettext_lazy``)."""
    if not rows:
        return format_html("<em>{}</em>", empty)
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class CommandAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A read model in the admin: listed and shown read-only, changed by commands only."""

    catalog: ClassVar[Catalog]
    target: ClassVar[Target | None] = None
    registration: ClassVar[str] = ""
    command_template: ClassVar[str] = "admin/common/command_form.html"
    change_form_template = "admin/common/record_change_form.html"
    change_list_template = "admin/common/record_change_list.html"
    actions = None
    # A country's tables: a whole large table is counted by PostgreSQL's estimate, and a
    # filtered list is not counted a second time unfiltered ("of N"): each exact count of
    # 1.3 M persons reads every row (registries.common.counting).
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @property
    def record_commands(self) -> dict[str, Command]:
        """The commands offered on one record, by name (buttons and forms)."""
        return self.catalog.on(self.target) if self.target is not None else {}

    @property
    def add_command(self) -> Command | None:
        """The command whose form adds a record (a registration), if any."""
        return self.catalog[self.registration] if self.registration else None

    # Who may act.

    def can_act(self, request: HttpRequest) -> bool:
        """May this user issue the commands of this admin? (Subclasses decide.)"""
        return False

    def _can_act(self, request: HttpRequest) -> bool:
        # Asked several times per page: once per request is enough.
        cache: dict[str, bool] = request.__dict__.setdefault("_riik_can_act", {})
        key = f"{self.opts.app_label}.{self.opts.model_name}"
        if key not in cache:
            cache[key] = bool(request.user.is_active and self.can_act(request))
        return cache[key]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._can_act(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._can_act(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.add_command is not None and self._can_act(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records change only through commands. The change page is then view-only, and
        # Django shows every field of ``fields``/``fieldsets`` read-only: the admins
        # need no ``readonly_fields`` lists.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Where each record stands on the chain.

    @staticmethod
    def ledger_status_of(record: Any) -> LedgerStatus:
        return record_ledger_status(record)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        """The change list, with the page's ledger statuses read in one query (not one a row)."""
        changelist = super().get_changelist_instance(request)
        attach_ledger_statuses(changelist.result_list)
        return changelist

    @admin.display(description=_("block"))
    def block_height(self, record: Any) -> Any:
        return self.ledger_status_of(record).block_height

    @admin.display(description=_("level"))
    def ledger_level(self, record: Any) -> str:
        return self.ledger_status_of(record).level

    @admin.display(description=_("ledger history"))
    def history_table(self, record: Any) -> str:
        """The record's events on its registry's ledger, oldest first."""
        rows = [
            [
                h["seq"],
                h["event"],
                h["label"],
                h["recorded_at"],
                h["block_height"] or "-",
                h["level"],
            ]
            for h in ledger_history(record.ledger_registry, record.aggregate_id)
        ]
        return html_table(
            [_("seq"), _("event"), _("what happened"), _("recorded at"), _("block"), _("level")],
            rows,
            _("no entries"),
        )

    # URLs.

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/command/<slug:command>/",
                self.admin_site.admin_view(self.command_view),
                name="{}_{}_command".format(*info),
            ),
            *super().get_urls(),
        ]

    def record_key(self, record: Any) -> str:
        """The record's key in this admin's URLs (its primary key, unless a public
        code names it better)."""
        return str(record.pk)

    def change_url(self, record: Any) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_change".format(*info), args=[quote(self.record_key(record))])

    def command_url(self, record: Any, slug: str) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse(
            "admin:{}_{}_command".format(*info), args=[quote(self.record_key(record)), slug]
        )

    def changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    # Views.

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        add_title = gettext(self.add_command.title) if self.add_command is not None else ""
        extra_context = {**(extra_context or {}), "add_title": add_title}
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        record = self.get_object(request, unquote(object_id))
        if record is not None and self._can_act(request):
            extra_context["record_commands"] = self.offered(request, record)
        return super().change_view(request, object_id, form_url, extra_context)

    def offered(self, request: HttpRequest, record: Any) -> list[tuple[str, str, str]]:
        """The record's commands this user may issue, as (title, URL, when): a command
        available now has its URL; one that becomes possible later has none, and
        says from when."""
        who = request.user.get_username()
        offered = []
        for command in self.record_commands.values():
            if not command.may(record, who):
                continue
            if command.available(record):
                offered.append((gettext(command.title), self.command_url(record, command.name), ""))
            elif when := command.not_yet(record):
                offered.append((gettext(command.title), "", when))
        return offered

    def render_command_form(
        self, request: HttpRequest, form: CommandForm, title: str, record: Any, cancel_url: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "subtitle": str(record) if record is not None else None,
            "form": form,
            "original": record,
            "original_url": self.change_url(record) if record is not None else "",
            "cancel_url": cancel_url,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.command_template, context)

    def issue_from(
        self, form: CommandForm, run: Callable[[Any], object]
    ) -> tuple[bool, object | None]:
        """Issue a command; on refusal put the registry's message on the form."""
        try:
            return True, issue(self.catalog.application, self.catalog.projections, run)
        except RegistryError as error:
            form.add_registry_error(error)
            return False, None

    def added_record(self, result: object, data: dict[str, Any]) -> Any:
        """The read model of the record the add form created (``result`` is what
        the command returned, ``data`` what it was given)."""
        raise NotImplementedError

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The add form (a registration or an appointment): the only way to add records."""
        spec = self.add_command
        if spec is None or spec.admin_form is None or not self._can_act(request):
            raise PermissionDenied
        form = spec.admin_form(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            who = request.user.get_username()
            data = form.command_data()
            ok, result = self.issue_from(form, lambda app: spec.run(app, data, who))
            if ok:
                record = self.added_record(result, data)
                self.log_addition(request, record, f"{spec.title} (registry command)")
                messages.success(
                    request,
                    gettext("{title}: {record} (ledger seq {seq}).").format(
                        title=gettext(spec.title), record=record, seq=record.ledger_seq
                    ),
                )
                return HttpResponseRedirect(self.change_url(record))
        return self.render_command_form(
            request, form, gettext(spec.title), None, self.changelist_url()
        )

    def command_view(self, request: HttpRequest, object_id: str, command: str) -> HttpResponse:
        """A command form for one record."""
        if not self._can_act(request):
            raise PermissionDenied
        spec = self.record_commands.get(command)
        record = self.get_object(request, unquote(object_id))
        if spec is None or spec.admin_form is None or self.target is None or record is None:
            raise Http404("No such record or command")
        # An unavailable command offers no form, but a form posted from a stale
        # page goes to the registry, whose refusal explains what changed.
        if request.method != "POST":
            if not spec.may(record, request.user.get_username()):
                raise PermissionDenied(
                    gettext("{title}: you may not issue this command on {record}").format(
                        title=gettext(spec.title), record=record
                    )
                )
            if not spec.available(record):
                raise Http404("This command is not available for this record")
        form = spec.admin_form(request.POST if request.method == "POST" else None, record=record)
        if request.method == "POST" and form.is_valid():
            who = request.user.get_username()
            target = self.target
            ok, _outcome = self.issue_from(
                form,
                lambda app: spec.run(app, {**form.command_data(), **target.key(record, who)}, who),
            )
            if ok:
                record.refresh_from_db()
                self.log_change(request, record, f"{spec.title} (registry command)")
                messages.success(
                    request,
                    gettext("{done} (ledger seq {seq}).").format(
                        done=gettext(spec.done), seq=record.ledger_seq
                    ),
                )
                return HttpResponseRedirect(self.change_url(record))
        return self.render_command_form(
            request, form, gettext(spec.title), record, self.change_url(record)
        )
