"""Billing in the admin: the delivery dashboard, prices, LINE's counts and the monthly statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from billing import charts
from billing.choices import LineCountStatus, PnpKind, StatementStatus
from billing.exports import FORMATS, csv_chunks, export_rows, xlsx_bytes
from billing.forms import (
    DashboardForm,
    ExplainForm,
    GenerateForm,
    InvoiceExplainForm,
    LineInvoiceForm,
    MonthExportForm,
    VoidForm,
)
from billing.invoicing import billing_profile_save, line_invoice_record, statement_invoice_explain, three_way
from billing.models import (
    BillingProfile,
    Dashboard,
    LineDailyCount,
    LineInvoice,
    ReconciliationDay,
    Statement,
    UnitPrice,
)
from billing.pdf import statement_pdf
from billing.periods import TAIWAN, month_last_day, previous_month
from billing.resources import RESOURCES, StatementLineResource
from billing.selectors import dashboard_figures, last_refetch
from billing.services import (
    UNIT_PRICE_FIELDS,
    line_counts_refetch_month,
    reconciliation_explain,
    statement_confirm,
    statement_finalise,
    statement_generate,
    statement_record_export,
    statement_void,
    statements_generate_month,
    unit_price_create,
    unit_price_update,
)
from notifications.alerts import alerts_open
from notifications.choices import Channel
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.exceptions import PortalError
from portal.selectors import brands_editable_by, brands_visible_to


def _line_status_label(status: str) -> str:
    """LINE's answer as a reader says it; an unknown value as LINE sent it."""
    return str(LineCountStatus(status).label) if status in LineCountStatus.values else status


def percent(value: float | None, *, places: int = 1) -> str:
    """Format a share as a percentage, or a dash when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.{places}f}%"


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """The delivery dashboard: volumes, delivery, failures, latency and cost, from the hourly rollups."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("billing.view_dashboard")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [path("", self.admin_site.admin_view(self.changelist_view), name="billing_dashboard_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        brands = brands_visible_to(request.user).order_by("name")  # type: ignore[arg-type]
        today = timezone.now().astimezone(TAIWAN).date()
        first, last = DashboardForm.default_period(today)
        data = request.GET.copy()
        data.setdefault("first", first.isoformat())
        data.setdefault("last", last.isoformat())
        form = DashboardForm(data, brands=brands)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Delivery dashboard"),
            "form": form,
            "this_month": (today.replace(day=1), today),
            "last_month": (previous_month(today), today.replace(day=1) - timedelta(days=1)),
            # delivery alerts still crossed, for every brand the user can see (whatever the filter)
            "open_alerts": alerts_open([b.pk for b in brands]),
        }
        if form.is_valid():
            chosen = form.cleaned_data["brand"]
            scope = [chosen] if chosen else list(brands)
            figures = dashboard_figures(brands=scope, first=form.cleaned_data["first"], last=form.cleaned_data["last"])
            names = dict(Channel.choices)
            context.update(
                {
                    "figures": figures,
                    "pct": {
                        "delivery": percent(figures.delivery_rate),
                        "fallback": percent(figures.fallback_rate),
                        "not_on_line": percent(figures.not_on_line_share),
                        "block": percent(figures.block_rate, places=2),
                    },
                    "brand": chosen,
                    "volume_chart": charts.stacked_bars(
                        labels=figures.day_list,
                        series=[(str(names[c]), figures.sent_by_day[c]) for c in figures.sent_by_day],
                        title=_("Sent per day by channel"),
                    ),
                    "delivered_chart": charts.stacked_bars(
                        labels=figures.day_list,
                        series=[(str(names[c]), figures.delivered_by_day[c]) for c in figures.delivered_by_day],
                        title=_("Delivered per day by channel"),
                    ),
                    "cost_chart": charts.stacked_bars(
                        labels=figures.day_list,
                        series=[
                            ("PNP", [float(v) for v in figures.pnp_cost_by_day]),
                            ("SMS", [float(v) for v in figures.sms_cost_by_day]),
                        ],
                        title=_("Cost per day (TWD)"),
                        height=180,
                    ),
                    "latency_chart": charts.horizontal_bars(
                        rows=figures.latency_histogram, title=_("Time from send to delivery")
                    ),
                    "failure_chart": charts.horizontal_bars(rows=figures.failures, title=_("Failures by reason"))
                    if figures.failures
                    else "",
                    "confirm_url": reverse("admin:members_member_changelist")
                    + "?needs_phone_confirmation__exact=1"
                    + (f"&brand={chosen.pk}" if chosen else ""),
                }
            )
        return TemplateResponse(request, "admin/billing/dashboard.html", context)


@admin.register(UnitPrice)
class UnitPriceAdmin(admin.ModelAdmin):
    list_display = ("channel", "price", "effective_from", "effective_to", "note")
    list_filter = ("channel",)
    ordering = ("channel", "-effective_from")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a price that billed a month is evidence: end it with effective_to instead

    def save_model(self, request: HttpRequest, obj: UnitPrice, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in UNIT_PRICE_FIELDS if name in form.cleaned_data}
        if change:
            unit_price_update(unit_price=UnitPrice.objects.get(pk=obj.pk), actor=request.user, **fields)
        else:
            obj.pk = unit_price_create(actor=request.user, **fields).pk
        obj.refresh_from_db()


@admin.register(LineDailyCount)
class LineDailyCountAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("jst_date", "brand", "status", "success", "attempts", "fetched_at", "error")
    list_filter = ("status", "brand")
    date_hierarchy = "jst_date"
    list_select_related = ("brand",)
    ordering = ("-jst_date", "brand")


@admin.register(BillingProfile)
class BillingProfileAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    """The buyer on a brand's statements, kept by its account manager; finance reads it."""

    list_display = ("brand", "legal_name", "tax_id", "contact_email", "updated_at")
    search_fields = ("legal_name", "=tax_id", "brand__name")
    list_select_related = ("brand",)
    fields = ("brand", "legal_name", "tax_id", "address", "contact_email")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("brand",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a closed statement names its buyer: change the profile instead

    def save_model(self, request: HttpRequest, obj: BillingProfile, form: Any, change: bool) -> None:
        brand = obj.brand if change else form.cleaned_data["brand"]
        if not request.user.is_superuser and not brands_editable_by(request.user).filter(pk=brand.pk).exists():  # type: ignore[arg-type]
            raise PermissionDenied
        saved = billing_profile_save(
            brand=brand,
            actor=request.user,
            **{name: form.cleaned_data[name] for name in ("legal_name", "tax_id", "address", "contact_email")},
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(LineInvoice)
class LineInvoiceAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    """LINE's invoices per brand and month, as finance records them from LINE's documents."""

    form = LineInvoiceForm
    list_display = ("month_label", "brand", "invoice_number", "invoice_date", "net", "tax", "gross", "message_count")
    list_filter = ("month", "brand")
    list_select_related = ("brand",)
    readonly_fields = ("recorded_by", "recorded_at")

    @admin.display(description=gettext_lazy("month"), ordering="month")
    def month_label(self, obj: LineInvoice) -> str:
        return f"{obj.month:%Y-%m}"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Finance records LINE's invoice for every brand it sees (it edits no brand's own settings).
        if db_field.name == "brand":
            kwargs["queryset"] = brands_visible_to(request.user)  # type: ignore[arg-type]
            # skip the mixin's narrowing to the brands the user edits: finance edits none
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = request.user.has_perm("billing.change_lineinvoice")
        if not allowed or obj is None:
            return allowed
        return brands_visible_to(request.user).filter(pk=obj.brand_id).exists()  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # LINE's invoice is evidence: correct it instead

    def save_model(self, request: HttpRequest, obj: LineInvoice, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = line_invoice_record(
            brand=data["brand"],
            month=data["month"],
            invoice_number=data["invoice_number"],
            invoice_date=data["invoice_date"],
            net=data["net"],
            tax=data["tax"],
            gross=data["gross"],
            message_count=data.get("message_count"),
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(Statement)
class StatementAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    """Monthly statements: generate drafts, review, explain differences, finalise and confirm, export."""

    change_list_template = "admin/billing/statement/change_list.html"
    list_display = (
        "month_label",
        "brand",
        "version",
        "status",
        "pnp_billed",
        "sms_segments",
        "total",
        "gross",
        "flagged",
    )
    list_filter = ("status", "month", "brand")
    list_select_related = ("brand",)
    ordering = ("-month", "brand__slug", "-version")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Statement]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_flags=Count("reconciliation", filter=Q(reconciliation__flagged=True, reconciliation__reason=""))
            )
        )

    @admin.display(description=gettext_lazy("month"), ordering="month")
    def month_label(self, obj: Statement) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description=gettext_lazy("unexplained flags"))
    def flagged(self, obj: Statement) -> int:
        return getattr(obj, "open_flags", 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # statements are computed, never typed in

    def save_model(self, request: HttpRequest, obj: Statement, form: Any, change: bool) -> None:
        # A statement changes only through its moves (generate, review, close), each a service.
        raise PermissionDenied

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # void instead: every version is kept

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("generate/", wrap(self.generate_view), name="billing_statement_generate"),
            path("<int:pk>/move/<str:move>/", wrap(self.move_view), name="billing_statement_move"),
            path("<int:pk>/explain/<int:day_pk>/", wrap(self.explain_view), name="billing_statement_explain"),
            path("<int:pk>/export/<str:report>.<str:fmt>", wrap(self.export_view), name="billing_statement_export"),
            path("<int:pk>/pdf/", wrap(self.pdf_view), name="billing_statement_pdf"),
            path(
                "<int:pk>/explain-invoice/", wrap(self.explain_invoice_view), name="billing_statement_explain_invoice"
            ),
            path("export-month/", wrap(self.export_month_view), name="billing_statement_export_month"),
            *super().get_urls(),
        ]

    def _statement(self, request: HttpRequest, pk: int) -> Statement:
        statement = self.get_queryset(request).filter(pk=pk).first()
        if statement is None:
            raise Http404
        return statement

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            statement = self._statement(request, int(object_id))
        except ValueError:
            raise Http404 from None
        user = request.user
        can_close = user.has_perm("billing.close_statement")
        reconciliation = list(statement.reconciliation.select_related("explained_by"))
        refetch = last_refetch(brand=statement.brand, month=statement.month)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(statement),
            "statement": statement,
            "lines": list(statement.lines.select_related("adjusts")),
            "days": list(statement.days.all()),
            "reconciliation": reconciliation,
            "open_flags": [r for r in reconciliation if r.needs_explanation],
            "versions": Statement.objects.filter(brand=statement.brand, month=statement.month).order_by("version"),
            "adjusted_by": Statement.objects.filter(lines__adjusts=statement).distinct(),
            "can_explain": user.has_perm("billing.change_reconciliationday") and not statement.is_frozen,
            "can_regenerate": user.has_perm("billing.change_statement") and not statement.is_frozen,
            "can_finalise": can_close and statement.status == StatementStatus.DRAFT,
            "can_confirm": can_close
            and statement.status == StatementStatus.FINALISED
            and statement.finalised_by_id != user.pk,
            "awaiting_other": can_close
            and statement.status == StatementStatus.FINALISED
            and statement.finalised_by_id == user.pk,
            "can_void": can_close and statement.status in (StatementStatus.FINALISED, StatementStatus.CONFIRMED),
            "can_export": user.has_perm("billing.export_statement"),
            "explain_form": ExplainForm(),
            "void_form": VoidForm(),
            "month_end": statement.days.order_by("-day").values_list("day", flat=True).first(),
            "three_way": three_way(statement),
            "profile": BillingProfile.objects.filter(brand=statement.brand).first(),
            "can_explain_invoice": user.has_perm("billing.change_statement")
            and statement.status in (StatementStatus.DRAFT, StatementStatus.FINALISED),
            "invoice_form": InvoiceExplainForm(),
            # Each day's counts open the notifications behind them, for whoever may read those.
            "notifications_url": reverse("admin:notifications_notification_changelist")
            if user.has_perm("notifications.view_notification")
            else None,
            "refetch": refetch,
            "refetch_days": [
                {
                    **day,
                    "before": _line_status_label(day["before"]) if day["before"] else "—",
                    "status": _line_status_label(day["status"]),
                    "status_code": day["status"],
                    "kind_label": PnpKind(day["kind"]).label if day["kind"] in PnpKind.values else day["kind"],
                }
                for day in (refetch.data.get("days", []) if refetch is not None else [])
            ],
        }
        return TemplateResponse(request, "admin/billing/statement/detail.html", context)

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("billing.change_statement"):
            raise PermissionDenied
        form = GenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            brand = form.cleaned_data["brand"]
            try:
                made = statements_generate_month(
                    month=form.cleaned_data["month"], actor=request.user, brands=[brand] if brand else None
                )
            except PortalError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(n)d draft statement(s) computed for %(month)s; closed months were left as they are.")
                    % {"n": len(made), "month": f"{form.cleaned_data['month']:%Y-%m}"},
                )
                if len(made) == 1:
                    return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[made[0].pk]))
                return HttpResponseRedirect(reverse("admin:billing_statement_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Compute draft statements"),
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/statement/generate.html", context)

    def move_view(self, request: HttpRequest, pk: int, move: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[pk]))
        statement = self._statement(request, pk)
        user: Any = request.user
        target = statement
        try:
            if move == "regenerate":
                if not user.has_perm("billing.change_statement"):
                    raise PermissionDenied
                target = statement_generate(brand=statement.brand, month=statement.month, actor=user)
                message = _("Draft recomputed from the latest figures.")
            elif move == "refetch":
                if not user.has_perm("billing.change_statement"):
                    raise PermissionDenied
                results = line_counts_refetch_month(brand=statement.brand, month=statement.month, actor=user)
                asked = len(results)
                target = statement_generate(brand=statement.brand, month=statement.month, actor=user)
                failed = LineDailyCount.objects.filter(
                    brand=statement.brand,
                    jst_date__range=(statement.month, month_last_day(statement.month)),
                    status=LineCountStatus.ERROR,
                )
                if asked == 0:
                    message = _("Every day of the month already has LINE's settled count: nothing to ask.")
                elif failed.exists():
                    self.message_user(
                        request,
                        _(
                            "LINE could not be reached for %(n)d of the %(asked)d day(s) asked; they stay flagged "
                            "and the daily job asks again. The draft was recomputed."
                        )
                        % {"n": failed.count(), "asked": asked},
                        messages.WARNING,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:billing_statement_change", args=[target.pk]) + "#line-answers"
                    )
                else:
                    message = _(
                        "LINE was asked again for %(n)d day(s) without a settled count; the draft was recomputed."
                    ) % {"n": asked}
            elif move == "finalise":
                target = statement_finalise(statement=statement, actor=user)
                message = _("Finalised. Another finance user must now confirm it.")
            elif move == "confirm":
                target = statement_confirm(statement=statement, actor=user)
                message = _("Confirmed: the month is closed.")
            elif move == "void":
                form = VoidForm(request.POST)
                if not form.is_valid():
                    self.message_user(request, _("Give the reason for voiding this statement."), messages.ERROR)
                    return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[pk]))
                target = statement_void(statement=statement, reason=form.cleaned_data["reason"], actor=user)
                message = _("Voided; version %(v)d was computed as a new draft.") % {"v": target.version}
            else:
                raise Http404
        except PortalError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[target.pk]))

    def explain_view(self, request: HttpRequest, pk: int, day_pk: int) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm("billing.change_reconciliationday"):
            raise PermissionDenied
        statement = self._statement(request, pk)
        day = get_object_or_404(ReconciliationDay, pk=day_pk, statement=statement)
        form = ExplainForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(str(m) for m in e)}" for name, e in form.errors.items())
            self.message_user(request, _("Explanation not saved (%(errors)s).") % {"errors": errors}, messages.ERROR)
        else:
            try:
                reconciliation_explain(
                    day=day,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except PortalError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Explanation recorded for %(day)s.") % {"day": day.jst_date})
        return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[pk]) + "#reconciliation")

    def export_view(self, request: HttpRequest, pk: int, report: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
        if not request.user.has_perm("billing.export_statement"):
            raise PermissionDenied
        if report not in RESOURCES or fmt not in FORMATS:
            raise Http404
        statement = self._statement(request, pk)
        resource = RESOURCES[report]()
        queryset = resource.get_queryset().filter(statement=statement)
        filename = f"{statement.brand.slug}-{statement.month:%Y-%m}-v{statement.version}-{report}.{fmt}"
        statement_record_export(statement=statement, report=report, fmt=fmt, actor=request.user)
        response: HttpResponse | StreamingHttpResponse
        if fmt == "csv":
            response = StreamingHttpResponse(csv_chunks(export_rows(resource, queryset)), content_type=FORMATS[fmt])
        else:
            content = xlsx_bytes(export_rows(resource, queryset, native=True), title=report)
            response = HttpResponse(content, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("billing.export_statement"):
            raise PermissionDenied
        statement = self._statement(request, pk)
        language = get_language() or "zh-hant"
        content = statement_pdf(statement, language=language)
        statement_record_export(statement=statement, report="pdf", fmt=language, actor=request.user)
        filename = f"{statement.brand.slug}-{statement.month:%Y-%m}-v{statement.version}.pdf"
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def explain_invoice_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm("billing.change_statement"):
            raise PermissionDenied
        statement = self._statement(request, pk)
        form = InvoiceExplainForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(str(m) for m in e)}" for name, e in form.errors.items())
            self.message_user(request, _("Explanation not saved (%(errors)s).") % {"errors": errors}, messages.ERROR)
        else:
            try:
                statement_invoice_explain(
                    statement=statement,
                    reason=form.cleaned_data["invoice_reason"],
                    note=form.cleaned_data["invoice_note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except PortalError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Explanation of LINE's invoice recorded."))
        return HttpResponseRedirect(reverse("admin:billing_statement_change", args=[pk]) + "#three-way")

    def export_month_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """Every visible brand's statement lines of a month, one row per line, for the accounting system."""
        if not request.user.has_perm("billing.export_statement"):
            raise PermissionDenied
        form = MonthExportForm(request.GET or None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Export a month's statements"),
                "form": form,
            }
            return TemplateResponse(request, "admin/billing/statement/export_month.html", context)
        month, fmt = form.cleaned_data["month"], form.cleaned_data["fmt"]
        statements = self.get_queryset(request).filter(month=month).exclude(status=StatementStatus.VOID)
        resource = StatementLineResource()
        queryset = (
            resource.get_queryset().filter(statement__in=statements).order_by("statement__brand__slug", "position")
        )
        for statement in statements:
            statement_record_export(statement=statement, report="month", fmt=fmt, actor=request.user)
        filename = f"statements-{month:%Y-%m}.{fmt}"
        response: HttpResponse | StreamingHttpResponse
        if fmt == "csv":
            response = StreamingHttpResponse(csv_chunks(export_rows(resource, queryset)), content_type=FORMATS[fmt])
        else:
            rows = export_rows(resource, queryset, native=True)
            response = HttpResponse(xlsx_bytes(rows, title=f"{month:%Y-%m}"), content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
