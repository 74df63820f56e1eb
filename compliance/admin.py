"""Admin of template review: authors edit drafts, reviewers work the queue on the review page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from compliance.advertising import BLOCK, PASS, REVIEW, detect, highlight
from compliance.advertising import CLAUSES as AD_CLAUSES
from compliance.choices import EDITABLE_STATUSES, QUEUE_STATUSES, ChangeReason, OverruleReason, TemplateStatus
from compliance.clauses import CLAUSES, RULE_CLAUSES, clause_for_rule
from compliance.exceptions import ComplianceError
from compliance.forms import CopyCheckForm, MessageTemplateForm, ReviewDecisionForm, TemplateVersionForm
from compliance.models import (
    CONTENT_FIELDS,
    AllowedPhrase,
    BrandLinkDomain,
    CopyCheck,
    MessageTemplate,
    PromotionalTerm,
    ReviewQueueItem,
    RuleResult,
    SendViolation,
    TemplateVersion,
)
from compliance.previews import version_preview
from compliance.rules import RULES, RULES_BY_CODE
from compliance.selectors import advertising_lists, previous_approved_version, review_queue, version_diff_html
from compliance.services import (
    REVIEW_PERMISSION,
    allowed_phrase_save,
    brand_link_domain_save,
    brand_link_domains_remove,
    lock_idle_until,
    promotional_term_save,
    rule_result_confirm_overrule,
    rule_result_overrule,
    template_approve,
    template_check_rules,
    template_create,
    template_new_version,
    template_record_rule_result,
    template_reject,
    template_release_review,
    template_request_changes,
    template_start_review,
    template_submit,
    template_take_over_review,
    template_update,
    template_update_draft,
)
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.models import AuditEvent

SEVERITY_LABELS = {
    BLOCK: _("Block: clear advertising"),
    REVIEW: _("Review: likely advertising, a reviewer confirms"),
    PASS: _("Pass: nothing reads as advertising"),
}
STATUS_COLOURS: dict[str, str] = {
    TemplateStatus.DRAFT: "#6b7280",
    TemplateStatus.SUBMITTED: "#2563eb",
    TemplateStatus.IN_REVIEW: "#7c3aed",
    TemplateStatus.CHANGES_REQUESTED: "#d97706",
    TemplateStatus.APPROVED: "#059669",
    TemplateStatus.REJECTED: "#dc2626",
    TemplateStatus.SUSPENDED: "#b91c1c",
    TemplateStatus.RETIRED: "#9ca3af",
}


def status_badge(status: str) -> str:
    return format_html(
        '<span class="tpl-status" style="background:{}">{}</span>',
        STATUS_COLOURS.get(status, "#6b7280"),
        TemplateStatus(status).label,
    )


def rule_rows(version: TemplateVersion, user: Any = None) -> list[dict[str, Any]]:
    """The version's rule results joined with the rules' clause and message, failures first.

    With ``user``, each row also says whether that user may overrule the finding or confirm
    another reviewer's overrule (the services check again on the post).
    """
    results = {
        r.rule_code: r
        for r in version.rule_results.select_related("reviewed_by", "overruled_by", "overrule_confirmed_by")
    }
    reviewer = user is not None and user.has_perm(REVIEW_PERMISSION)
    author = user is not None and user.pk in (version.author_id, version.submitted_by_id)
    may_overrule = (
        reviewer
        and not author
        and (
            version.status in EDITABLE_STATUSES
            or (version.status == TemplateStatus.IN_REVIEW and version.locked_to_id == user.pk)
        )
    )
    rows = []
    for rule in RULES:
        result = results.get(rule.code)
        if result is None:
            continue
        effective = result.effective_passed
        clause = clause_for_rule(rule.code)
        rows.append(
            {
                "rule": rule,
                "result": result,
                "clause": clause,
                "state": "overruled"
                if result.overrule_effective
                else "pass"
                if effective
                else ("fail" if effective is False else "open"),
                "attention": not effective or result.reviewer_passed is not None or result.is_overruled,
                "order": (0 if effective is False else 1 if effective is None else 2, rule.severity != "blocking"),
                "can_overrule": may_overrule
                and not rule.manual
                and result.passed is not True
                and not result.is_overruled,
                "needs_overrule": result.passed is False and rule.severity == "blocking" and not result.is_overruled,
                "can_confirm": reviewer
                and not author
                and result.overrule_needs_confirmation
                and result.overruled_by_id != user.pk
                and version.status not in (TemplateStatus.APPROVED, TemplateStatus.REJECTED, TemplateStatus.RETIRED),
            }
        )
    return sorted(rows, key=lambda row: row["order"])


def rules_context(version: TemplateVersion, user: Any = None) -> dict[str, Any]:
    rows = rule_rows(version, user)
    passed = sum(1 for row in rows if not row["attention"])
    return {
        "rule_rows": rows,
        "passed_count": passed,
        "overrule_reasons": OverruleReason.choices,
        "overruled_rows": [row for row in rows if row["result"].is_overruled],
        "clauses_url": reverse("admin:compliance_reviewqueueitem_clauses"),
    }


def hold_reason_text(reason: dict[str, Any]) -> str:
    """Say in words why a suspended version is back in the queue."""
    if reason.get("kind") == "quality":
        return str(
            _(
                "Template quality: %(sms).1f%% of %(sends)s sends fell back to SMS (limit %(sms_max).0f%%); "
                "%(block).1f%% of members blocked the OA within 24 h (limit %(block_max).1f%%)."
            )
            % {
                "sms": reason["sms_fallback_share"] * 100,
                "sends": reason["sends"],
                "sms_max": reason["sms_fallback_share_max"] * 100,
                "block": reason["block_share"] * 100,
                "block_max": reason["block_share_max"] * 100,
            }
        )
    if reason.get("kind") == "send_violations":
        rules = ", ".join(f"{code} ×{count}" for code, count in reason.get("rules", {}).items())
        return str(
            _("%(count)s sends refused within %(hours)s h: %(rules)s")
            % {"count": reason["count"], "hours": reason["window_hours"], "rules": rules}
        )
    return ", ".join(f"{key}: {value}" for key, value in reason.items())


def audit_trail(template: MessageTemplate) -> QuerySet[AuditEvent]:
    version_type = ContentType.objects.get_for_model(TemplateVersion)
    template_type = ContentType.objects.get_for_model(MessageTemplate)
    version_ids = [str(pk) for pk in template.versions.values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(content_type=version_type, object_id__in=version_ids)
        | Q(content_type=template_type, object_id=str(template.pk))
    ).order_by("created_at", "id")


@admin.register(PromotionalTerm)
class PromotionalTermAdmin(admin.ModelAdmin):
    list_display = ("term", "severity", "note", "is_active", "created_at")
    list_filter = ("is_active", "severity")
    search_fields = ("term", "note")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead, so past rule results stay explainable

    def save_model(self, request: HttpRequest, obj: PromotionalTerm, form: Any, change: bool) -> None:
        promotional_term_save(term=obj, actor=request.user, changed=list(form.changed_data))


@admin.register(AllowedPhrase)
class AllowedPhraseAdmin(admin.ModelAdmin):
    list_display = ("phrase", "note", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("phrase", "note")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead, so past verdicts stay explainable

    def save_model(self, request: HttpRequest, obj: AllowedPhrase, form: Any, change: bool) -> None:
        allowed_phrase_save(phrase=obj, actor=request.user, changed=list(form.changed_data))


@admin.register(CopyCheck)
class CopyCheckAdmin(admin.ModelAdmin):
    """Paste copy, see what reads as advertising, highlighted in the text."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("compliance.view_copycheck")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [path("", self.admin_site.admin_view(self.changelist_view), name="compliance_copycheck_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = CopyCheckForm(request.POST if request.method == "POST" else None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Check copy for advertising"),
            "form": form,
        }
        if form.is_valid():
            text = form.cleaned_data["text"]
            verdict = detect(text, use_case=form.cleaned_data["use_case"] or None, lists=advertising_lists())
            rows = [
                {"finding": finding, "clause": AD_CLAUSES[finding.clause], "label": SEVERITY_LABELS[finding.severity]}
                for finding in verdict.findings
            ]
            context.update(
                {
                    "verdict": verdict,
                    "verdict_label": SEVERITY_LABELS[verdict.verdict],
                    "segments": highlight(text, verdict),
                    "rows": rows,
                }
            )
        return TemplateResponse(request, "admin/compliance/copy_check.html", context)


@admin.register(BrandLinkDomain)
class BrandLinkDomainAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("domain", "brand", "created_at")
    list_filter = ("brand",)
    search_fields = ("domain",)
    list_select_related = ("brand",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Reviewers maintain every brand's list; the brand scope below is for account managers.
        if request.user.has_perm(REVIEW_PERMISSION):
            return admin.ModelAdmin.has_delete_permission(self, request, obj)
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: BrandLinkDomain, form: Any, change: bool) -> None:
        brand_link_domain_save(domain=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: BrandLinkDomain) -> None:
        brand_link_domains_remove(domains=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BrandLinkDomain]) -> None:
        brand_link_domains_remove(domains=list(queryset.select_related("brand")), actor=request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Reviewers decide which domains a brand may link to, for any brand.
        if db_field.name == "brand" and request.user.has_perm(REVIEW_PERMISSION):
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SendViolation)
class SendViolationAdmin(BrandScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    brand_lookup = "version__template__brand"
    list_display = ("created_at", "version", "rule_code", "field")
    list_filter = ("rule_code",)
    list_select_related = ("version__template__brand",)
    show_full_result_count = False


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    fields = ("version_link", "status_display", "author", "submitted_at", "reviewer", "reviewed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("-number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("version"))
    def version_link(self, obj: TemplateVersion) -> str:
        url = reverse("admin:compliance_templateversion_change", args=[obj.pk])
        return format_html('<a href="{}">v{}</a>', url, obj.number)

    @admin.display(description=_("status"))
    def status_display(self, obj: TemplateVersion) -> str:
        return status_badge(obj.status)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ("code", "name", "brand", "use_case", "status_display", "current_version", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a template and its versions are evidence of what was approved and sent

    class Media:
        css = {"all": ("compliance/review.css",)}

    list_filter = ("status", "use_case", "brand")
    search_fields = ("code", "name")
    list_select_related = ("brand", "current_version")
    inlines = (VersionInline,)
    readonly_fields = ("status", "current_version")

    def get_inlines(self, request: HttpRequest, obj: MessageTemplate | None) -> Any:
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request: HttpRequest, obj: MessageTemplate | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["brand", "code"]
            reviewed = obj.versions.exclude(
                status__in=[*EDITABLE_STATUSES, TemplateStatus.REJECTED, TemplateStatus.RETIRED]
            )
            if reviewed.exists():  # the use case and language were part of what the reviewer approved
                fields += ["use_case", "language", "new_use_case_description"]
        return fields

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: MessageTemplate) -> str:
        return status_badge(obj.status)

    def save_model(self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool) -> None:
        editable = ("name", "use_case", "language", "new_use_case_description")
        data = {name: form.cleaned_data[name] for name in editable if name in form.cleaned_data}
        try:
            if change:
                template_update(template=MessageTemplate.objects.get(pk=obj.pk), actor=request.user, **data)
            else:
                created = template_create(brand=obj.brand, code=obj.code, author=request.user, **data)
                obj.pk = created.pk
        except ComplianceError as error:
            raise PermissionDenied(str(error)) from error

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Versions are written by the services only."""

    def response_add(self, request: HttpRequest, obj: MessageTemplate, post_url_continue: str | None = None) -> Any:
        version = obj.versions.get()
        self.message_user(request, _("Template created. Write the content of version 1, then submit it."))
        return HttpResponseRedirect(reverse("admin:compliance_templateversion_change", args=[version.pk]))


@admin.register(TemplateVersion)
class TemplateVersionAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    """Where authors write a draft, see the checks and submit; other states are read-only."""

    brand_lookup = "template__brand"
    form = TemplateVersionForm
    change_form_template = "admin/compliance/templateversion/change_form.html"
    list_display = ("__str__", "brand_name", "status_display", "author", "submitted_at", "reviewer", "reviewed_at")

    class Media:
        css = {"all": ("compliance/review.css",)}

    list_filter = ("status", "template__use_case", "template__brand")
    search_fields = ("template__code", "template__name")
    list_select_related = ("template__brand", "author", "reviewer")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("kind",)}),
        (_("LINE message"), {"fields": ("text", "flex_json", "button_label", "button_url")}),
        (
            _("LINE template (template PNP: LINE's own design, no UX review)"),
            {
                "fields": (
                    "line_template_key",
                    "emphasized_item_key",
                    "emphasized_item",
                    "line_items",
                    "line_buttons",
                ),
                "description": _("Only for the kind “LINE template”; leave empty for a flexible message."),
            },
        ),
        (_("Variables"), {"fields": ("variables",)}),
        (_("Channels and SMS"), {"fields": ("channels", "urgency", "sms_text", "sms_fallback_delay_minutes")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created by "new version" or with the template

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: TemplateVersion | None = None) -> Any:
        if obj is None or obj.status in EDITABLE_STATUSES:
            return ()
        return CONTENT_FIELDS

    @admin.display(description=_("brand"), ordering="template__brand__name")
    def brand_name(self, obj: TemplateVersion) -> str:
        return obj.template.brand.name

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: TemplateVersion) -> str:
        return status_badge(obj.status)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        version = self.get_object(request, object_id)
        extra: dict[str, Any] = {**(extra_context or {})}
        if version is not None:
            extra.update(
                version=version,
                status_html=status_badge(version.status),
                preview=version_preview(version),
                **rules_context(version, request.user),
                hold_text=hold_reason_text(version.hold_reason) if version.hold_reason else "",
                can_edit=version.status in EDITABLE_STATUSES and self.has_change_permission(request, version),
                can_new_version=not version.template.versions.filter(
                    status__in=[*EDITABLE_STATUSES, TemplateStatus.SUBMITTED, TemplateStatus.IN_REVIEW]
                ).exists()
                and self.has_change_permission(request, version),
                change_reasons=[ChangeReasonLabel(code) for code in version.change_reasons],
            )
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request: HttpRequest, obj: TemplateVersion, form: Any, change: bool) -> None:
        if obj.status not in EDITABLE_STATUSES:
            return
        content = {name: form.cleaned_data[name] for name in CONTENT_FIELDS if name in form.cleaned_data}
        try:
            template_update_draft(version=TemplateVersion.objects.get(pk=obj.pk), actor=request.user, **content)
        except ComplianceError as error:
            raise PermissionDenied(str(error)) from error

    def response_change(self, request: HttpRequest, obj: TemplateVersion) -> HttpResponse:
        here = reverse("admin:compliance_templateversion_change", args=[obj.pk])
        try:
            if "_check_rules" in request.POST:
                template_check_rules(version=obj, actor=request.user)
                self.message_user(request, _("Rules checked; see the results below."))
                return HttpResponseRedirect(here)
            if "_submit_for_review" in request.POST:
                template_submit(version=obj, actor=request.user)
                self.message_user(request, _("Submitted: version %(n)s is in the review queue.") % {"n": obj.number})
                return HttpResponseRedirect(here)
            if "_new_version" in request.POST:
                new = template_new_version(template=obj.template, author=request.user)
                self.message_user(request, _("Version %(n)s created as a draft.") % {"n": new.number})
                return HttpResponseRedirect(reverse("admin:compliance_templateversion_change", args=[new.pk]))
        except ComplianceError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(here)
        return super().response_change(request, obj)


class ChangeReasonLabel(str):
    """A coded reason that renders with its label."""

    @property
    def label(self) -> str:
        return str(ChangeReason(self).label) if self in ChangeReason.values else str(self)


class FailedRuleFilter(admin.SimpleListFilter):
    title = _("failed rule")
    parameter_name = "failed_rule"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """Only the rules some queued version fails, so the list stays short."""
        failing = set(
            RuleResult.objects.filter(version__status__in=QUEUE_STATUSES)
            .filter(Q(reviewer_passed=False) | Q(passed=False, reviewer_passed__isnull=True))
            .values_list("rule_code", flat=True)
        )
        return [(rule.code, rule.code) for rule in RULES if rule.code in failing]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        failed = Q(rule_results__reviewer_passed=False) | Q(
            rule_results__passed=False, rule_results__reviewer_passed__isnull=True
        )
        return queryset.filter(Q(rule_results__rule_code=self.value()) & failed).distinct()


class QueueStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(status, TemplateStatus(status).label) for status in TemplateStatus.values if status in QUEUE_STATUSES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(admin.ModelAdmin):
    """The reviewers' daily queue: submitted, in review and suspended versions, oldest first."""

    list_display = ("waiting", "template_code", "brand_name", "use_case", "status_display", "checks", "locked_to")
    list_display_links = ("template_code",)
    list_filter = ("template__brand", "template__use_case", QueueStatusFilter, FailedRuleFilter)
    search_fields = ("template__code", "template__name")
    list_per_page = 50
    show_full_result_count = False

    class Media:
        css = {"all": ("compliance/review.css",)}

    def get_urls(self) -> list[Any]:
        from django.urls import path

        clauses = path(
            "clauses/", self.admin_site.admin_view(self.clauses_view), name="compliance_reviewqueueitem_clauses"
        )
        return [clauses, *super().get_urls()]

    def clauses_view(self, request: HttpRequest) -> HttpResponse:
        """The guideline clauses the rules enforce, each with its source and section (linked from every rule)."""
        if not (request.user.has_perm(REVIEW_PERMISSION) or request.user.has_perm("compliance.view_templateversion")):
            raise PermissionDenied
        rules_by_clause: dict[str, list[str]] = {}
        for rule_code, clause_id in RULE_CLAUSES.items():
            rules_by_clause.setdefault(clause_id, []).append(rule_code)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Guideline clauses"),
            "opts": self.model._meta,
            "clauses": [(clause, rules_by_clause.get(clause.id, [])) for clause in CLAUSES],
            "queue_url": reverse("admin:compliance_reviewqueueitem_changelist"),
        }
        return TemplateResponse(request, "admin/compliance/clauses.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        def count(condition: Q) -> Subquery:
            rows = RuleResult.objects.filter(condition, version=OuterRef("pk")).values("version")
            return Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField())

        failed = (Q(reviewer_passed=False) | Q(passed=False, reviewer_passed__isnull=True)) & Q(
            overruled_at__isnull=True
        )
        to_confirm = Q(passed__isnull=True, reviewer_passed__isnull=True)
        return (
            ReviewQueueItem.objects.filter(pk__in=review_queue().values("pk"))
            .annotate(failed_count=count(failed), open_count=count(to_confirm))
            .select_related("template__brand", "author", "locked_to")
            .order_by("submitted_at", "id")
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        title = _("Review queue: submitted, in review and suspended versions, oldest first")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("template"), ordering="template__code")
    def template_code(self, obj: ReviewQueueItem) -> str:
        return format_html(
            "<strong>{} v{}</strong><br><small>{}</small>", obj.template.code, obj.number, obj.template.name
        )

    @admin.display(description=_("brand"), ordering="template__brand__name")
    def brand_name(self, obj: ReviewQueueItem) -> str:
        return obj.template.brand.name

    @admin.display(description=_("use case"))
    def use_case(self, obj: ReviewQueueItem) -> str:
        return obj.template.get_use_case_display()

    @admin.display(description=_("in queue since"), ordering="submitted_at")
    def waiting(self, obj: ReviewQueueItem) -> str:
        if obj.submitted_at is None:
            return "-"
        return format_html(
            "{}<br><small>{}</small>",
            date_format(timezone.localtime(obj.submitted_at), "SHORT_DATETIME_FORMAT"),
            _("%(age)s ago") % {"age": timesince(obj.submitted_at)},
        )

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: ReviewQueueItem) -> str:
        badge = status_badge(obj.status)
        if obj.status == TemplateStatus.SUSPENDED and obj.hold_reason:
            kind = {"quality": _("template quality"), "send_violations": _("refused sends")}.get(
                obj.hold_reason.get("kind", ""), obj.hold_reason.get("kind", "")
            )
            return format_html('{}<br><small class="tpl-fail">{}</small>', badge, kind)
        return badge

    @admin.display(description=_("checks"))
    def checks(self, obj: Any) -> str:
        failed, open_ = obj.failed_count or 0, obj.open_count or 0
        parts = []
        if failed:
            parts.append(format_html('<span class="tpl-fail">✗ {} {}</span>', failed, _("failed")))
        if open_:
            parts.append(format_html('<span class="tpl-open">? {} {}</span>', open_, _("to confirm")))
        return (
            format_html(" ".join(["{}"] * len(parts)), *parts)
            if parts
            else format_html('<span class="tpl-pass">✓ {}</span>', _("all passed"))
        )

    # --- The review page ------------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not str(object_id).isdigit():  # "abc" would reach the database as an integer and fail there
            raise Http404
        version = get_object_or_404(TemplateVersion.objects.select_related("template__brand"), pk=int(object_id))
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        if request.method == "POST":
            return self._review_post(request, version)
        is_reviewer = request.user.has_perm(REVIEW_PERMISSION)
        previous = previous_approved_version(version)
        is_author = request.user.pk in (version.author_id, version.submitted_by_id)
        free_at = lock_idle_until(version)
        held_by_other = free_at is not None and version.locked_to_id != request.user.pk
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review %(version)s") % {"version": version},
            "opts": self.model._meta,
            "version": version,
            "template": version.template,
            "status_html": status_badge(version.status),
            "preview": version_preview(version),
            **rules_context(version, request.user),
            "hold_text": hold_reason_text(version.hold_reason) if version.hold_reason else "",
            "previous": previous,
            "diff_html": version_diff_html(previous, version),
            "trail": audit_trail(version.template).select_related("actor"),
            "decision_form": ReviewDecisionForm(),
            "is_mine": version.status == TemplateStatus.IN_REVIEW and version.locked_to_id == request.user.pk,
            "can_start": is_reviewer
            and version.status in (TemplateStatus.SUBMITTED, TemplateStatus.SUSPENDED)
            and request.user.pk not in (version.author_id, version.submitted_by_id),
            "is_author": is_author,
            "lock_since": version.locked_at or version.review_started_at,
            "lock_free_at": free_at,
            "can_take_over": is_reviewer
            and not is_author
            and held_by_other
            and (request.user.is_superuser or (free_at is not None and timezone.now() >= free_at)),
            "change_reasons": [ChangeReasonLabel(code) for code in version.change_reasons],
            "queue_url": reverse("admin:compliance_reviewqueueitem_changelist"),
        }
        return TemplateResponse(request, "admin/compliance/review.html", context)

    def _review_post(self, request: HttpRequest, version: TemplateVersion) -> HttpResponse:
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        if request.POST.get("action") == "recheck" and not (
            version.status == TemplateStatus.IN_REVIEW and version.locked_to_id == request.user.pk
        ):
            raise PermissionDenied
        here = reverse("admin:compliance_reviewqueueitem_change", args=[version.pk])
        action = request.POST.get("action", "")
        try:
            if action == "take_over":
                template_take_over_review(version=version, reviewer=request.user)
                self.message_user(
                    request, _("You took the review of %(v)s over; it is locked to you.") % {"v": version}
                )
                return HttpResponseRedirect(here)
            if request.POST.get("overrule"):
                code = request.POST["overrule"]
                rule_result_overrule(
                    version=version,
                    reviewer=request.user,
                    rule_code=code,
                    reason=request.POST.get(f"overrule_reason-{code}", ""),
                    note=request.POST.get(f"overrule_note-{code}", ""),
                )
                self.message_user(request, _("Finding %(code)s overruled.") % {"code": code})
                return HttpResponseRedirect(here)
            if request.POST.get("confirm_overrule"):
                code = request.POST["confirm_overrule"]
                rule_result_confirm_overrule(version=version, reviewer=request.user, rule_code=code)
                self.message_user(request, _("Overrule of %(code)s confirmed.") % {"code": code})
                return HttpResponseRedirect(here)
            if action == "start":
                template_start_review(version=version, reviewer=request.user)
                self.message_user(request, _("Review started: %(v)s is locked to you.") % {"v": version})
                return HttpResponseRedirect(here)
            if action == "recheck":
                template_check_rules(version=version, actor=request.user)
                self.message_user(request, _("Rules checked again with the current word lists."))
                return HttpResponseRedirect(here)
            if action == "release":
                template_release_review(version=version, reviewer=request.user)
                self.message_user(request, _("Released back to the queue."))
                return HttpResponseRedirect(here)
            recorded = self._record_rule_verdicts(request, version)
            form = ReviewDecisionForm(request.POST)
            form.is_valid()
            decision = form.cleaned_data.get("decision") or request.POST.get("decision", "")
            reasons, comment = form.cleaned_data.get("reasons", []), form.cleaned_data.get("comment", "")
            if decision == "approve":
                template_approve(version=version, reviewer=request.user, comment=comment)
                self.message_user(request, _("Approved %(v)s: it is the version sends use now.") % {"v": version})
            elif decision == "changes":
                template_request_changes(version=version, reviewer=request.user, reasons=reasons, comment=comment)
                self.message_user(request, _("Sent back to the author with your reasons."))
            elif decision == "reject":
                template_reject(version=version, reviewer=request.user, reasons=reasons, comment=comment)
                self.message_user(request, _("Rejected %(v)s.") % {"v": version}, messages.WARNING)
            else:
                self.message_user(request, _("%(n)d rule verdict(s) recorded.") % {"n": recorded})
                return HttpResponseRedirect(here)
        except ComplianceError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(here)
        return HttpResponseRedirect(reverse("admin:compliance_reviewqueueitem_changelist"))

    def _record_rule_verdicts(self, request: HttpRequest, version: TemplateVersion) -> int:
        """Record each rule verdict the reviewer changed on the page; return how many."""
        count = 0
        for result in version.rule_results.all():
            verdict = request.POST.get(f"rule-{result.rule_code}", "")
            note = request.POST.get(f"note-{result.rule_code}", "").strip()
            if verdict not in ("pass", "fail") or result.rule_code not in RULES_BY_CODE:
                continue
            passed = verdict == "pass"
            if result.reviewer_passed == passed and result.reviewer_note == note:
                continue
            template_record_rule_result(
                version=version, reviewer=request.user, rule_code=result.rule_code, passed=passed, note=note
            )
            count += 1
        return count
