"""Admin for PNP applications: list with lateness, per-application timeline, moves, export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from applications.admin_pages import TrackerPagesMixin
from applications.choices import DocumentKind, Stage, UseCase
from applications.exceptions import ApplicationError
from applications.forms import MoveForm, now_input
from applications.models import Application, ApplicationDocument, CalendarOverride, PartnerUseCase, TechnologyPartner
from applications.resources import ApplicationResource
from applications.selectors import (
    CONFIRMED_MOVES,
    ApplicationStatus,
    application_move_options,
    application_status,
    application_timeline,
    applications_missing_promise,
    applications_overdue,
    correction_consequences,
)
from applications.services import (
    application_create,
    application_document_add,
    application_move,
    application_update,
    calendar_override_delete,
    calendar_override_save,
    nda_warning_days,
    partner_save,
    partner_use_case_add,
)
from applications.workdays import current_calendar
from applications.workflow import FINAL_STAGES, PATH_STAGES
from portal.admin_mixins import BrandScopedAdminMixin
from portal.choices import Role
from portal.models import AuditEvent


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue at LINE")), ("no", _("On time"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> QuerySet[Application]:
        late = applications_overdue(queryset, today=timezone.localdate())
        if self.value() == "yes":
            return late
        if self.value() == "no":
            return queryset.exclude(pk__in=late.values("pk"))
        return queryset


class PromiseFilter(admin.SimpleListFilter):
    title = _("promised go-live")
    parameter_name = "promise"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("missed", _("Forecast later than promised"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> QuerySet[Application]:
        if self.value() == "missed":
            return applications_missing_promise(queryset, today=timezone.localdate(), calendar=current_calendar())
        return queryset


class StatusChangeList(ChangeList):
    """Work out each listed application's status once, with one calendar for the whole page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        calendar = current_calendar()
        today = timezone.localdate()
        for application in self.result_list:
            application.tracker_status = application_status(application, today=today, calendar=calendar)


class ApplicationForm(forms.ModelForm):
    use_cases = forms.MultipleChoiceField(
        label=_("use cases"),
        choices=UseCase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("LINE's approved use cases this application covers."),
    )

    class Meta:
        model = Application
        fields = (
            "brand",
            "path",
            "use_cases",
            "has_new_use_case",
            "new_use_case_description",
            "owner",
            "partner",
            "expected_go_live",
            "blue_shield_approval_reference",
            "blue_shield_approved_on",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            managers = get_user_model().objects.filter(groups__name=str(Role.ACCOUNT_MANAGER), is_active=True)
            self.fields["owner"].queryset = managers.order_by("username")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        brand = cleaned.get("brand") or getattr(self.instance, "brand", None)
        owner = cleaned.get("owner")
        if brand is not None and owner is not None and not brand.account_managers.filter(pk=owner.pk).exists():
            self.add_error("owner", _("Choose one of %(brand)s's account managers.") % {"brand": brand})
        return cleaned


class DocumentInline(admin.TabularInline):
    """Upload rows only: the documents on file are listed, with protected download links, above the form."""

    model = ApplicationDocument
    extra = 0
    fields = ("kind", "file", "signed_on", "expires_on", "note")
    verbose_name = _("document")
    verbose_name_plural = _("upload documents (a correction is a new version)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApplicationDocument]:
        # Files are served only through document_view, which checks the brand; never by MEDIA_URL.
        return ApplicationDocument.objects.none()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # documents are evidence: upload a new version instead

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(TrackerPagesMixin, BrandScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    form = ApplicationForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # withdraw instead: the application's timeline is the record of it

    resource_classes = [ApplicationResource]
    change_form_template = "admin/applications/application/change_form.html"
    inlines = [DocumentInline]
    list_display = ("application", "stage_badge", "holder", "waited", "due", "forecast")
    list_display_links = ("application",)
    list_filter = (
        "stage",
        OverdueFilter,
        PromiseFilter,
        "path",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("brand", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("brand", "owner")
    search_fields = ("brand__name", "brand__slug")
    show_full_result_count = False
    actions = ["move_to_next_stage"]

    class Media:
        css = {"all": ("applications/admin.css",)}

    # --- list columns -------------------------------------------------------------------

    def _status(self, application: Application) -> ApplicationStatus:
        status = getattr(application, "tracker_status", None)
        if status is None:
            status = application_status(application, today=timezone.localdate(), calendar=current_calendar())
            application.tracker_status = status  # type: ignore[attr-defined]
        return status

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    change_list_template = "admin/applications/application/change_list.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return StatusChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return (
            super()
            .get_queryset(request)
            .annotate(nda_expires_on=Max("documents__expires_on", filter=Q(documents__kind=DocumentKind.NDA)))
        )

    @admin.display(description=_("application"), ordering="brand__name")
    def application(self, application: Application) -> str:
        nda_flag = ""
        expires_on = getattr(application, "nda_expires_on", None)
        warn_before = timezone.localdate() + timedelta(days=nda_warning_days())
        if expires_on and expires_on <= warn_before and application.stage not in FINAL_STAGES:
            nda_flag = format_html(
                '<br><span class="pnp-badge pnp-holder-brand">{}</span>',
                gettext("NDA expires %(date)s") % {"date": expires_on.isoformat()},
            )
        return format_html(
            '{}<br><span class="pnp-muted">{} · {}</span>{}',
            application,
            gettext("partner path") if application.path == "partner" else gettext("direct"),
            application.owner.get_username(),
            nda_flag,
        )

    @admin.display(description=_("stage"), ordering="stage")
    def stage_badge(self, application: Application) -> str:
        css = (
            f"pnp-stage-{application.stage}"
            if application.stage in {Stage.LIVE, Stage.WITHDRAWN, Stage.ON_HOLD, Stage.CHANGES_REQUESTED_BY_LINE}
            else "pnp-stage"
        )
        return format_html('<span class="pnp-badge {}">{}</span>', css, application.get_stage_display())

    @admin.display(description=_("holding it"))
    def holder(self, application: Application) -> str:
        holder = self._status(application).holder
        return format_html('<span class="pnp-badge pnp-holder-{}">{}</span>', holder, holder.label)

    @admin.display(description=_("working days waited"))
    def waited(self, application: Application) -> Any:
        if application.stage in FINAL_STAGES:
            return "—"
        return self._status(application).waited_working_days

    @admin.display(description=_("LINE window ends"), ordering="stage_due_on")
    def due(self, application: Application) -> str:
        status = self._status(application)
        if status.is_overdue:
            return format_html(
                '<span class="pnp-badge pnp-overdue">{} · {}</span>',
                status.due_on.isoformat() if status.due_on else "",
                gettext("%(days)d working days overdue") % {"days": status.overdue_working_days},
            )
        if status.due_on:
            return format_html('<span class="pnp-ontime">{}</span>', status.due_on.isoformat())
        if status.planned_from:
            return format_html(
                '<span class="pnp-muted">{} {}</span>', gettext("not before"), status.planned_from.isoformat()
            )
        return "—"

    @admin.display(description=_("forecast go-live"))
    def forecast(self, application: Application) -> str:
        status = self._status(application)
        if status.forecast.is_blocked:
            return format_html(
                '<span class="pnp-badge pnp-blocked-badge" title="{}">{}</span>',
                " ".join(status.forecast.blocked_reasons),
                gettext("blocked: %(gates)s") % {"gates": ", ".join(status.forecast.blocked_by)},
            )
        forecast = status.forecast_go_live
        if forecast and status.misses_promise and status.promised_go_live:
            return format_html(
                '{}<br><span class="pnp-badge pnp-promise-missed">{}</span>',
                forecast.isoformat(),
                gettext("later than promised %(date)s") % {"date": status.promised_go_live.isoformat()},
            )
        return forecast.isoformat() if forecast else "—"

    # --- forms ----------------------------------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        return ("brand", "path") if obj is not None else ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", str(request.user.pk))
        return initial

    def save_model(self, request: HttpRequest, obj: Application, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name not in ("brand", "path")}
        if change:
            application_update(application=obj, actor=request.user, **data)
            return
        created = application_create(
            brand=form.cleaned_data["brand"], path=form.cleaned_data["path"], actor=request.user, **data
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ApplicationDocument:
            # Every inline here writes through a service; a new inline needs one too.
            raise NotImplementedError(f"no service saves {formset.model.__name__} rows from this admin")
        # Documents are never edited or deleted here, only added (through the service).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for document_form in formset.forms:
            if document_form.instance.pk or not document_form.has_changed():
                continue
            if document_form.cleaned_data.get("DELETE"):
                continue
            data = document_form.cleaned_data
            document = application_document_add(
                application=form.instance,
                kind=data["kind"],
                file=data["file"],
                uploaded_by=request.user,
                signed_on=data.get("signed_on"),
                expires_on=data.get("expires_on"),
                note=data.get("note", ""),
            )
            formset.new_objects.append(document)

    # --- timeline and moves --------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="applications_application_move",
            ),
            path(
                "<int:object_id>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name="applications_application_correct",
            ),
            path(
                "<int:object_id>/summary/",
                self.admin_site.admin_view(self.summary_view),
                name="applications_application_summary",
            ),
            path("week/", self.admin_site.admin_view(self.week_view), name="applications_application_week"),
            path(
                "<int:object_id>/documents/<int:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="applications_application_document",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        application = self.get_object(request, object_id)
        if application is None:
            # Another brand's application is not in this user's queryset at all.
            raise Http404
        context = dict(extra_context or {})
        if application is not None:
            today = timezone.localdate()
            content_type = ContentType.objects.get_for_model(Application)
            can_move = self.has_change_permission(request, application)
            context.update(
                move_form=MoveForm(application=application, initial={"effective_at": now_input()}),
                confirmed_moves=CONFIRMED_MOVES,
                correction=correction_consequences(application) if can_move else [],
                status=application_status(application, today=today, calendar=current_calendar()),
                timeline=application_timeline(application, today=today),
                # Newest recorded first: a correction shows right above the move it corrects.
                transitions=application.transitions.select_related("evidence", "corrects").order_by(
                    "-recorded_at", "-id"
                ),
                documents=application.documents.select_related("uploaded_by"),
                audit_events=AuditEvent.objects.filter(
                    content_type=content_type, object_id=str(application.pk)
                ).order_by("-created_at", "-id")[:100],
                move_options=application_move_options(application, today=today) if can_move else [],
                forward_stages=set(PATH_STAGES[application.path]),
                nda_warn_before=today + timedelta(days=nda_warning_days()),
                today=today,
                use_case_labels=application.use_case_labels(),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def document_view(self, request: HttpRequest, object_id: int, document_id: int) -> FileResponse:
        application = self.get_object(request, str(object_id))
        if application is None or not self.has_view_permission(request, application):
            raise Http404
        document = get_object_or_404(ApplicationDocument, pk=document_id, application=application)
        filename = (document.file.name or "").rsplit("/", 1)[-1]
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=filename)

    @admin.action(description=_("Move selected applications to their next stage"), permissions=["change"])
    def move_to_next_stage(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        from applications.workflow import next_stage

        moved = 0
        for application in queryset:
            target = next_stage(application.path, application.stage)
            if target is None or not self.has_change_permission(request, application):
                self.message_user(
                    request,
                    gettext("%(application)s: no next stage from “%(stage)s”.")
                    % {"application": application, "stage": application.get_stage_display()},
                    messages.WARNING,
                )
                continue
            try:
                application_move(application=application, to_stage=target, actor=request.user)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    f"{application}: {gettext('Not moved: %(reason)s') % {'reason': exc.message}}",
                    messages.ERROR,
                )
            else:
                moved += 1
        if moved:
            self.message_user(request, gettext("%(count)d applications moved.") % {"count": moved}, messages.SUCCESS)


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ("date", "kind", "note")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    form = CalendarOverrideForm
    list_display = ("date", "weekday", "kind", "note", "updated_at")
    list_filter = ("kind",)
    search_fields = ("note",)
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, override: CalendarOverride) -> str:
        return override.date.strftime("%a")

    def save_model(self, request: HttpRequest, obj: CalendarOverride, form: Any, change: bool) -> None:
        calendar_override_save(override=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        calendar_override_delete(override=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        for override in queryset:
            calendar_override_delete(override=override, actor=request.user)


class PartnerUseCaseInline(admin.TabularInline):
    """The partner's catalogue: rows are added (with LINE's evidence), never edited or deleted."""

    model = PartnerUseCase
    extra = 0
    fields = ("use_case", "approved_on", "evidence_note", "evidence_file", "recorded_by", "recorded_at")
    readonly_fields = ("recorded_by", "recorded_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TechnologyPartner)
class TechnologyPartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "approved_use_cases", "note")
    search_fields = ("name",)
    inlines = [PartnerUseCaseInline]

    @admin.display(description=_("use cases LINE approved"))
    def approved_use_cases(self, partner: TechnologyPartner) -> str:
        return ", ".join(entry.get_use_case_display() for entry in partner.use_cases.all()) or "—"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its approvals explain the reviews its applications skipped: it is kept

    def save_model(self, request: HttpRequest, obj: TechnologyPartner, form: Any, change: bool) -> None:
        partner_save(partner=obj, actor=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not PartnerUseCase:
            raise NotImplementedError(f"no service saves {formset.model.__name__} rows from this admin")
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for entry_form in formset.forms:
            if entry_form.instance.pk or not entry_form.has_changed() or entry_form.cleaned_data.get("DELETE"):
                continue
            data = entry_form.cleaned_data
            try:
                entry = partner_use_case_add(
                    partner=form.instance,
                    use_case=data["use_case"],
                    approved_on=data["approved_on"],
                    evidence_note=data.get("evidence_note", ""),
                    evidence_file=data.get("evidence_file") or None,
                    actor=request.user,
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            formset.new_objects.append(entry)
