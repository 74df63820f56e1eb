"""Admin for members, consent history, LINE links and imports; phone numbers masked by default."""

from __future__ import annotations

import csv
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from members.choices import Channel, ConsentPurpose, ConsentSource, ImportJobStatus, PhoneType
from members.hooks import member_page_sections
from members.importing import ImportFileError
from members.models import Consent, ImportJob, LineLink, Member
from members.phones import mask_e164, normalize_phone
from members.resources import ConsentResource, MemberResource
from members.selectors import member_reachability, members_to_confirm, user_may_see_full_phone
from members.services import consent_record, import_job_create, import_job_run, member_erase, member_upsert
from members.tasks import member_import_job_run
from portal.admin_mixins import BrandScopedAdminMixin, ScopedRawIdWidget
from portal.exports import formula_safe
from portal.models import Brand
from portal.paginators import EstimatedCountPaginator
from portal.selectors import brands_editable_by, brands_visible_to

# Files up to this many rows are imported during the request; bigger ones by a worker.
SYNC_IMPORT_MAX_ROWS = 2000

# A member list page draws 100 rows × 9 cells: the cells below give Django's own markup from
# values computed once, instead of a widget template, a static() call or a choices dict per cell.
_PHONE_TYPE_LABELS = dict(PhoneType.choices)
_CHANNEL_LABELS = dict(Channel.choices)


@cache
def _icon(value: bool | None) -> SafeString:
    """Django's yes/no/unknown icon for a boolean cell."""
    return SafeString(display_for_value(value, "", boolean=True))


def _field_name(name: str) -> Any:
    field = Member._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.verbose_name


class BrandFilter(admin.SimpleListFilter):
    """Brands the user may see, without scanning the member table for them."""

    title = _("brand")
    parameter_name = "brand"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        brands = _visible_brands(request)
        return [(str(b.pk), str(b)) for b in brands]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(brand_id=self.value())
        return queryset


def _visible_brands(request: HttpRequest) -> QuerySet[Any]:
    return brands_visible_to(request.user).only("pk", "name")  # type: ignore[arg-type]


class MemberChangeList(ChangeList):
    """The member list: brands without their LINE credentials, change links from one reverse()."""

    def apply_select_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        # The brand column shows the name; loading the credentials would decrypt two Fernet
        # tokens per row and hold secrets the page never shows.
        return super().apply_select_related(qs).defer("brand__channel_secret", "brand__channel_access_token")

    @cached_property
    def _change_url(self) -> tuple[str, str]:
        url = super().url_for_result(Member(pk=0))
        head, tail = url.rsplit("/0/", 1)
        return head + "/", "/" + tail

    def url_for_result(self, result: Any) -> str:
        head, tail = self._change_url
        return f"{head}{int(result.pk)}{tail}"


class LineStatusFilter(admin.SimpleListFilter):
    title = _("LINE")
    parameter_name = "line"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("bound_friend", _("Friend and bound")),
            ("bound", _("Bound")),
            ("friend", _("Friend")),
            ("none", _("Not bound")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "bound_friend":
            return queryset.filter(line_link__bound_at__isnull=False, line_link__is_friend=True)
        if value == "bound":
            return queryset.filter(line_link__bound_at__isnull=False)
        if value == "friend":
            return queryset.filter(line_link__is_friend=True)
        if value == "none":
            return queryset.filter(Q(line_link__isnull=True) | Q(line_link__bound_at__isnull=True))
        return queryset


class ConsentInline(admin.TabularInline):
    """The consent history: append-only, so nothing here can be edited or deleted."""

    model = Consent
    extra = 0
    can_delete = False
    fields = ("purpose", "granted", "source", "evidence", "notice_version", "captured_at", "captured_by_label")
    readonly_fields = fields
    ordering = ("-captured_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineLinkInline(admin.StackedInline):
    model = LineLink
    extra = 0
    can_delete = False
    fields = ("uid", "is_friend", "is_blocked", "bound_at", "binding_consent", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberForm(forms.ModelForm):
    """Name and phone as the brand gives them; the number is checked by the phone helper."""

    class Meta:
        model = Member
        fields = ("brand", "external_id", "name", "phone_raw")

    def clean_phone_raw(self) -> str:
        value = self.cleaned_data.get("phone_raw", "")
        normalize_phone(value)  # raises ValidationError with the reason
        return str(value)


@admin.register(Member)
class MemberAdmin(BrandScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    form = MemberForm
    resource_classes = [MemberResource]
    change_list_template = "admin/members/member/change_list.html"
    list_display = (
        "external_id",
        "name",
        "masked_phone",
        "phone_type_label",
        "pnp_consent_icon",
        "sms_consent_icon",
        "needs_confirmation_icon",
        "brand",
    )
    list_display_links = ("external_id",)
    list_filter = (
        BrandFilter,
        "pnp_consent",
        "sms_consent",
        "needs_phone_confirmation",
        "duplicate_phone",
        LineStatusFilter,
    )
    list_select_related = ("brand",)
    search_fields = ("external_id__exact",)
    search_help_text = _("Exact member number, phone number (any format) or phone hash.")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT per filter value over the whole table.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    ordering = ("-id",)
    inlines = (LineLinkInline, ConsentInline)
    actions = ("export_to_confirm", "erase_members")
    change_form_template = "admin/members/member/change_form.html"

    # --- list -----------------------------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return MemberChangeList

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        return mask_e164(obj.phone_e164)  # kept on one line by portal.css

    @admin.display(description=_field_name("phone_type"), ordering="phone_type")
    def phone_type_label(self, obj: Member) -> Any:
        return _PHONE_TYPE_LABELS.get(obj.phone_type, self.get_empty_value_display())

    @admin.display(description=_field_name("pnp_consent"), ordering="pnp_consent")
    def pnp_consent_icon(self, obj: Member) -> SafeString:
        return _icon(obj.pnp_consent)

    @admin.display(description=_field_name("sms_consent"), ordering="sms_consent")
    def sms_consent_icon(self, obj: Member) -> SafeString:
        return _icon(obj.sms_consent)

    @admin.display(description=_field_name("needs_phone_confirmation"), ordering="needs_phone_confirmation")
    def needs_confirmation_icon(self, obj: Member) -> SafeString:
        return _icon(obj.needs_phone_confirmation)

    def action_checkbox(self, obj: Member) -> SafeString:
        """The row's selection box, the markup of Django's checkbox widget without its template."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @admin.display(description=_("phone (E.164)"))
    def phone_for_viewer(self, obj: Member) -> str:
        request = getattr(self, "_request", None)
        if request is not None and user_may_see_full_phone(request.user, obj.brand_id):
            return obj.phone_e164
        return mask_e164(obj.phone_e164)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if len(term) == 64 and all(c in "0123456789abcdef" for c in term.lower()):
            return queryset.filter(phone_hash__exact=term.lower()), False
        try:
            phone_hash = normalize_phone(term).hash
        except ValidationError:
            return queryset.filter(external_id__exact=term), False
        # Exact lookups keep the b-tree indexes usable (``=field`` would mean UPPER(...) = UPPER(...));
        # the hash of the normalised number finds it however it was typed. A term that reads as a
        # phone number is searched as one only: OR-ing in the member number would scan the table.
        return queryset.filter(phone_hash__exact=phone_hash), False

    # --- detail -----------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        self._request = request
        full = obj is None or user_may_see_full_phone(request.user, obj.brand_id)
        phone_fields = ("phone_raw", "phone_for_viewer", "phone_type") if full else ("phone_for_viewer", "phone_type")
        if obj is None:
            return ((None, {"fields": ("brand", "external_id", "name", "phone_raw")}),)
        return (
            (None, {"fields": ("brand", "external_id", "name")}),
            (_("Phone number"), {"fields": (*phone_fields, "phone_confirmed_at", "duplicate_phone")}),
            (
                _("Confirm phone number"),
                {"fields": ("needs_phone_confirmation", "phone_flag_reason", "phone_flagged_at")},
            ),
            (_("Current consent (from the history below)"), {"fields": ("pnp_consent", "sms_consent")}),
            (_("Record"), {"fields": ("erased_at", "created_at", "updated_at")}),
        )

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        member = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if member is not None and self.has_view_permission(request, member):
            reach = member_reachability(member)
            context["reachability"] = [
                (_CHANNEL_LABELS.get(channel, channel), channel in reach.open, reach.closed.get(channel, ""))
                for channel in Channel.values
            ]
            context["member_sections"] = member_page_sections(request, member)
        return super().change_view(request, object_id, form_url, context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        readonly: tuple[str, ...] = (
            "brand",
            "external_id",
            "phone_for_viewer",
            "phone_type",
            "phone_confirmed_at",
            "duplicate_phone",
            "needs_phone_confirmation",
            "phone_flag_reason",
            "phone_flagged_at",
            "pnp_consent",
            "sms_consent",
            "erased_at",
            "created_at",
            "updated_at",
        )
        if not user_may_see_full_phone(request.user, obj.brand_id) or obj.is_erased:
            readonly += ("name", "phone_raw")
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        self._request = request
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Member, form: Any, change: bool) -> None:
        member, _created = member_upsert(
            brand=obj.brand,
            external_id=obj.external_id,
            name=obj.name,
            phone=obj.phone_raw,
            actor=request.user,
        )
        obj.pk = member.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Members are erased (PII blanked, history kept), never deleted.
        return False

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"reveal_phone": bool(request.user.is_superuser)}  # type: ignore[union-attr]

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description=_("Export selected members flagged 'confirm phone number' (CSV)"))
    def export_to_confirm(self, request: HttpRequest, queryset: QuerySet[Member]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="members-confirm-phone.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["brand", "external_id", "name", "phone", "flagged_at", "reason"])
        for member in members_to_confirm(members=queryset.select_related("brand")).iterator(chunk_size=2000):
            phone = (
                member.phone_e164
                if user_may_see_full_phone(request.user, member.brand_id)
                else mask_e164(member.phone_e164)
            )
            row = [member.brand.slug, member.external_id, member.name, phone, member.phone_flagged_at]
            writer.writerow([formula_safe(value) for value in [*row, member.phone_flag_reason]])
        return response

    @admin.action(description=_("Erase selected members (blank personal data, keep history)"), permissions=["change"])
    def erase_members(self, request: HttpRequest, queryset: QuerySet[Member]) -> None:
        editable = queryset.filter(brand__in=brands_editable_by(request.user))  # type: ignore[arg-type]
        count = 0
        for member in editable:
            member_erase(member=member, actor=request.user, reason="admin action")
            count += 1
        self.message_user(request, _("%(count)d members erased.") % {"count": count}, messages.SUCCESS)

    # --- import -----------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        urls = [
            path("import-file/", self.admin_site.admin_view(self.import_view), name="members_member_import_file"),
        ]
        return urls + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("members.add_importjob"):  # type: ignore[union-attr]
            raise PermissionDenied
        form = MemberImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    brand=form.cleaned_data["brand"],
                    upload=upload,
                    actor=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ImportFileError as exc:
                form.add_error("file", f"{upload.name}: {exc}")
            else:
                if job.total_rows <= SYNC_IMPORT_MAX_ROWS:
                    import_job_run(job_id=job.pk)
                else:
                    transaction.on_commit(lambda: member_import_job_run.delay(job_id=job.pk))
                return HttpResponseRedirect(reverse("admin:members_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import members"),
            "form": form,
            "opts": self.model._meta,
            "sync_max_rows": SYNC_IMPORT_MAX_ROWS,
        }
        return TemplateResponse(request, "admin/members/member/import_file.html", context)


class MemberImportForm(forms.Form):
    brand: forms.ModelChoiceField = forms.ModelChoiceField(queryset=Brand.objects.none(), label=_("Brand"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8, UTF-8 with BOM or Big5) or XLSX. Columns: external_id, name, phone; "
            "optional pnp_consent, sms_consent, consent_source, consent_evidence, consent_captured_at."
        ),
    )
    dry_run = forms.BooleanField(label=_("Dry run: check and count, save nothing"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands_editable_by(user)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        limit_mb = settings.MEMBER_IMPORT_MAX_UPLOAD_MB
        if upload.size > limit_mb * 1024 * 1024:
            raise ValidationError(
                _("%(name)s is larger than %(limit)d MB; split it into smaller files and import each.")
                % {"name": upload.name, "limit": limit_mb}
            )
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "original_name",
        "brand",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "dry_run",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "dry_run")
    list_select_related = ("brand", "created_by")
    fields = (
        "brand",
        "original_name",
        "dry_run",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "report",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    change_form_template = "admin/members/importjob/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj: ImportJob) -> str:
        return format_html(
            '<progress max="100" value="{}">{}%</progress> {}% · {} / {}',
            obj.percent,
            obj.percent,
            obj.percent,
            obj.processed_rows,
            obj.total_rows,
        )

    @admin.display(description=_("rejected rows report"))
    def report(self, obj: ImportJob) -> str:
        if not obj.report_file:
            return "-"
        url = reverse("admin:members_importjob_report", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the rejected rows (CSV)"))

    def get_urls(self) -> list[Any]:
        urls = [path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="members_importjob_report")]
        return urls + super().get_urls()

    def report_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if not job.report_file:
            raise Http404
        return FileResponse(job.report_file.open("rb"), as_attachment=True, filename=f"import-{job.pk}-rejected.csv")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        job = self.get_object(request, object_id)
        running = job is not None and job.status in (ImportJobStatus.PENDING, ImportJobStatus.RUNNING)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "refresh": running})


class ConsentForm(forms.ModelForm):
    """A statement recorded by staff: what proves it is required, and for a grant the notice shown."""

    class Meta:
        model = Consent
        fields = ("member", "purpose", "granted", "source", "evidence", "notice_version", "captured_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "evidence" in self.fields:
            self.fields["evidence"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("granted") and not str(cleaned.get("notice_version", "")).strip():
            self.add_error(
                "notice_version", _("Give the version of the privacy notice the member was shown (e.g. 2026-11).")
            )
        return cleaned


@admin.register(Consent)
class ConsentAdmin(BrandScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    """Consent history across members: read, export, and record a new statement (never edit)."""

    brand_lookup = "member__brand"
    form = ConsentForm
    resource_classes = [ConsentResource]
    list_display = ("member", "purpose", "granted", "source", "captured_at", "captured_by_label", "created_at")
    list_filter = ("purpose", "granted", "source")
    list_select_related = ("member", "member__brand")
    raw_id_fields = ("member",)
    search_fields = ("member__external_id__exact",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"source": ConsentSource.ADMIN, "purpose": ConsentPurpose.PNP_NOTIFICATION}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.form.Meta.fields if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "member" and not request.user.is_superuser:  # type: ignore[union-attr]
            members = Member.objects.filter(brand__in=brands_editable_by(request.user))  # type: ignore[arg-type]
            kwargs["queryset"] = members
            kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, queryset=members)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Consent, form: Any, change: bool) -> None:
        consent = consent_record(
            member=obj.member,
            purpose=obj.purpose,
            granted=obj.granted,
            source=obj.source,
            evidence=obj.evidence,
            notice_version=obj.notice_version,
            captured_at=obj.captured_at,
            actor=request.user,
        )
        obj.pk = consent.pk
