"""Admin for what was sent: read-only evidence, scoped to the brands each user may see."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.phones import phone_hash
from notifications.choices import AlertKind, Channel
from notifications.evidence import evidence_pack, evidence_pdf
from notifications.exceptions import NotificationRefused, NotificationSearchError
from notifications.models import AlertCrossing, BrandAlertThresholds, Notification, SmsAccount, WebhookEvent
from notifications.search import (
    notification_search_days,
    notifications_delivered_on,
    notifications_line_day,
    notifications_search,
    template_codes_visible_to,
)
from notifications.services.accounts import SMS_ACCOUNT_FIELDS, sms_account_create_or_update
from notifications.services.alerts import THRESHOLD_FIELDS, alert_threshold, alert_thresholds_set
from notifications.services.manual import notification_sms_now, sms_now_refusal, user_may_send_sms_now
from notifications.story import consents_behind, notification_story
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.paginators import EstimatedCountPaginator

# Short channel names for the list: the full labels ("LINE notification message (PNP)") wrap
# every row on a laptop screen. The filter and the detail page keep the full labels.
CHANNEL_SHORT_LABELS: dict[str, Any] = {Channel.PNP: _("PNP"), Channel.LINE_PUSH: _("LINE push"), Channel.SMS: _("SMS")}


class ParameterFilter(admin.ListFilter):
    """A list filter read from its own query parameters (``parameters``), last value of each kept."""

    parameters: tuple[str, ...] = ()

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = str(value[-1] if isinstance(value, list) else value)

    def expected_parameters(self) -> list[str | None]:
        return list(self.parameters)


class DateRangeFilter(ParameterFilter):
    """Accepted between two days (Taiwan time), both inclusive: ``since`` and ``until`` as YYYY-MM-DD."""

    title = _("accepted between")
    template = "admin/notifications/date_range_filter.html"
    parameters = ("since", "until")

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Iterator[Mapping[str, object]]:
        yield from [{"values": self.values, "query": changelist.get_filters_params()}]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            since, until = notification_search_days(self.values.get("since", ""), self.values.get("until", ""))
        except NotificationSearchError as exc:
            messages.error(request, str(exc))
            return queryset.none()
        if since is not None:
            queryset = queryset.filter(created_at__gte=since)
        if until is not None:
            queryset = queryset.filter(created_at__lt=until)
        return queryset


class DeliveredDayFilter(ParameterFilter):
    """The notifications behind one day of a statement, linked from the statement page.

    ``delivered_on`` (a Taiwan day) with ``via`` (the channel): the deliveries a statement day
    counts. ``line_day`` (a JST day) with ``pnp_kind`` (``flexible`` or ``template``): the PNP the
    portal counts against LINE's daily count on that day. Shown only while it narrows the list.
    """

    title = _("behind a statement day")
    template = "admin/notifications/delivered_day_filter.html"
    parameters = ("delivered_on", "via", "line_day", "pnp_kind")

    def has_output(self) -> bool:
        return bool(self.values.get("delivered_on") or self.values.get("line_day"))

    def choices(self, changelist: Any) -> Iterator[Mapping[str, object]]:
        via = self.values.get("via", Channel.PNP)
        yield {
            "values": self.values,
            "via_label": Channel(via).label if via in Channel.values else via,
            "template_pnp": self.values.get("pnp_kind") == "template",
            "clear_url": changelist.get_query_string(remove=list(self.parameters)),
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            if self.values.get("line_day"):
                queryset = notifications_line_day(
                    queryset, self.values["line_day"], templated=self.values.get("pnp_kind") == "template"
                )
            if self.values.get("delivered_on"):
                queryset = notifications_delivered_on(
                    queryset, self.values["delivered_on"], self.values.get("via") or Channel.PNP
                )
        except NotificationSearchError as exc:
            messages.error(request, str(exc))
            return queryset.none()
        return queryset


class TemplateCodeFilter(admin.SimpleListFilter):
    """The templates of the brands the user may see, from the template table (never a scan of sends)."""

    title = _("template")
    parameter_name = "template"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(code, code) for code in template_codes_visible_to(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(template_code=self.value()) if self.value() else queryset


class NotificationCountPaginator(EstimatedCountPaginator):
    """Exact up to 1,000 matches, estimated beyond: support narrows a search rather than paging through thousands."""

    exact_below = 1_000


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "brand",
        "template_code",
        "member_ref",
        "masked_phone",
        "status",
        "delivered_by",
        "twice",
    )
    list_filter = (
        "status",
        "channel",
        "delivered_channel",
        "delivered_twice",
        TemplateCodeFilter,
        DateRangeFilter,
        DeliveredDayFilter,
        "brand",
    )
    list_select_related = ("brand", "member")
    search_fields = ("id__exact",)  # the search box is read by get_search_results below
    search_help_text = _(
        "A phone number (any format), a member number, a notification id (#123) or a delivery tag; "
        "prefix with phone:, member:, id: or tag: to say which."
    )
    show_full_result_count = False
    paginator = NotificationCountPaginator  # ten million rows are not counted to draw a page
    list_per_page = 50  # a member's recent messages fit one page; drawing 100 rows costs as much as finding them
    show_facets = admin.ShowFacets.NEVER
    date_hierarchy = None
    ordering = ("-created_at", "-id")  # newest first, on notification_recent
    change_form_template = "admin/notifications/notification/change_form.html"
    fields = ("brand",)
    readonly_fields = fields
    inlines = ()

    @admin.display(description=_("member"), ordering="member__external_id")
    def member_ref(self, obj: Notification) -> str:
        return obj.member.external_id

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Notification) -> str:
        return obj.member.masked_phone

    @admin.display(description=_("delivered by"), ordering="delivered_channel", empty_value="-")
    def delivered_by(self, obj: Notification) -> str | None:
        label = CHANNEL_SHORT_LABELS.get(obj.delivered_channel)
        return str(label) if label is not None else None

    # Only the exception is marked: a red cross on every other row read as an error.
    @admin.display(description=_("delivered twice"), ordering="delivered_twice", empty_value="")
    def twice(self, obj: Notification) -> str | None:
        return f"⚠ {_('yes')}" if obj.delivered_twice else None

    # --- search -----------------------------------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            return notifications_search(queryset, search_term), False
        except NotificationSearchError as exc:
            messages.error(request, str(exc))
            return queryset.none(), False

    # --- the story page ---------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/evidence.json", view(self.evidence_json_view), name="notifications_notification_evidence_json"
            ),
            path("<int:pk>/evidence.pdf", view(self.evidence_pdf_view), name="notifications_notification_evidence_pdf"),
            path("<int:pk>/sms-now/", view(self.sms_now_view), name="notifications_notification_sms_now"),
            *super().get_urls(),
        ]

    def _visible(self, request: HttpRequest, pk: int) -> Notification:
        notification = get_object_or_404(
            self.get_queryset(request).select_related("member", "template_version__template"), pk=pk
        )
        if not self.has_view_permission(request, notification):
            raise PermissionDenied
        return notification

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        notification = self.get_object(request, object_id)
        if notification is None or not self.has_view_permission(request, notification):
            return super().change_view(request, object_id, form_url, extra_context)
        story = notification_story(notification)
        pack = evidence_pack(notification, story)
        reason = sms_now_refusal(notification)
        may_send = user_may_send_sms_now(request.user, notification.brand_id)
        member_url = None
        if request.user.has_perm("members.view_member"):  # type: ignore[union-attr]
            member_url = reverse("admin:members_member_change", args=[notification.member_id])
        context = {
            **(extra_context or {}),
            "story": story,
            "pack": pack,
            "consents": consents_behind(notification, {a["channel"] for a in pack["requests"]}),
            "member_url": member_url,
            "evidence_json_url": reverse("admin:notifications_notification_evidence_json", args=[notification.pk]),
            "evidence_pdf_url": reverse("admin:notifications_notification_evidence_pdf", args=[notification.pk]),
            "sms_now_url": reverse("admin:notifications_notification_sms_now", args=[notification.pk]),
            "sms_now_allowed": may_send and not reason,
            "sms_now_shown": may_send and notification.channel == Channel.PNP,
            "sms_now_reason": reason,
            # make run only: the LINE sandbox shows what the member's phone received (by the number's hash).
            "phone_view_url": f"{settings.LINE_API_BASE_URL.rstrip('/')}/sandbox/phone/"
            f"{phone_hash(notification.member.phone_e164)}"
            if settings.DEMO_MODE
            else None,
        }
        return super().change_view(request, object_id, form_url, context)

    def evidence_json_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = self._visible(request, pk)
        response = JsonResponse(evidence_pack(notification), json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="notification-{notification.pk}-evidence.json"'
        return response

    def evidence_pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = self._visible(request, pk)
        response = HttpResponse(evidence_pdf(evidence_pack(notification)), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="notification-{notification.pk}-evidence.pdf"'
        return response

    def sms_now_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        notification = self._visible(request, pk)
        if not user_may_send_sms_now(request.user, notification.brand_id):
            raise PermissionDenied
        try:
            notification_sms_now(notification_id=notification.pk, actor=request.user)
        except NotificationRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The SMS is on its way; the timeline shows when the vendor accepts it."))
        return HttpResponseRedirect(reverse("admin:notifications_notification_change", args=[notification.pk]))


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "brand", "event_type", "event_id", "is_redelivery", "result", "detail_shown")
    list_filter = ("event_type", "result", "is_redelivery", "brand")
    list_select_related = ("brand",)
    search_fields = ("event_id__exact",)
    show_full_result_count = False
    ordering = ("-id",)
    fields = (
        "brand",
        "event_id",
        "event_type",
        "is_redelivery",
        "occurred_at",
        "received_at",
        "processed_at",
        "result",
        "detail_shown",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description=_("detail"))
    def detail_shown(self, obj: WebhookEvent) -> str:
        return obj.detail_text


class SmsAccountForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("API base URL"),
        assume_scheme="https",
        required=False,
        help_text=SmsAccount._meta.get_field("base_url").help_text,
    )
    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave blank to keep the stored password. It is encrypted and cannot be displayed again."),
    )

    class Meta:
        model = SmsAccount
        fields = ("brand", "vendor", "base_url", "username", "price_per_segment", "is_active")


@admin.register(SmsAccount)
class SmsAccountAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    form = SmsAccountForm
    list_display = ("brand", "vendor", "username", "price_per_segment", "is_active")
    list_filter = ("vendor", "is_active")
    list_select_related = ("brand",)

    def get_readonly_fields(self, request: HttpRequest, obj: SmsAccount | None = None) -> tuple[str, ...]:
        return ("brand",) if obj is not None else ()  # the account is the brand's own vendor contract

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # deactivate instead: the price per segment explains past SMS costs

    def save_model(self, request: HttpRequest, obj: SmsAccount, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in SMS_ACCOUNT_FIELDS if name in form.cleaned_data}
        account, _created = sms_account_create_or_update(
            brand=obj.brand, actor=request.user, password=form.cleaned_data.get("new_password") or None, **fields
        )
        obj.pk = account.pk
        obj.refresh_from_db()


@admin.register(BrandAlertThresholds)
class BrandAlertThresholdsAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    """A brand's own alert thresholds; the list shows the threshold in force for each figure."""

    list_display = ("brand", "delivery_rate_in_force", "refused_422_in_force", "block_rate_in_force", "sms_in_force")
    list_select_related = ("brand",)
    fields = ("brand", *THRESHOLD_FIELDS.values())

    def get_readonly_fields(self, request: HttpRequest, obj: BrandAlertThresholds | None = None) -> tuple[str, ...]:
        return ("brand",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # empty a field to go back to the default: the audit keeps what was in force

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        kinds = {name: kind for kind, name in THRESHOLD_FIELDS.items()}
        if field is not None and db_field.name in kinds:
            default = f"{alert_threshold(kinds[db_field.name], None) * 100:.1f} %"
            field.help_text = format_lazy(
                "{} {}", field.help_text, _("Empty: the portal's default, %(value)s.") % {"value": default}
            )
        return field

    def _in_force(self, obj: BrandAlertThresholds, kind: str) -> str:
        return f"{alert_threshold(kind, obj) * 100:.1f} %"

    @admin.display(description=_("lowest delivery rate"))
    def delivery_rate_in_force(self, obj: BrandAlertThresholds) -> str:
        return self._in_force(obj, AlertKind.DELIVERY_RATE)

    @admin.display(description=_("highest share of PNP refused (422)"))
    def refused_422_in_force(self, obj: BrandAlertThresholds) -> str:
        return self._in_force(obj, AlertKind.REFUSED_422_SHARE)

    @admin.display(description=_("highest block rate"))
    def block_rate_in_force(self, obj: BrandAlertThresholds) -> str:
        return self._in_force(obj, AlertKind.BLOCK_RATE)

    @admin.display(description=_("highest SMS failure rate"))
    def sms_in_force(self, obj: BrandAlertThresholds) -> str:
        return self._in_force(obj, AlertKind.SMS_FAILURE_RATE)

    def save_model(self, request: HttpRequest, obj: BrandAlertThresholds, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data.get(name) for name in THRESHOLD_FIELDS.values()}
        saved = alert_thresholds_set(brand=obj.brand, actor=request.user, values=values)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(AlertCrossing)
class AlertCrossingAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    """Every crossing of a threshold: when, by how much, and whether it is over."""

    list_display = ("opened_at", "brand", "kind", "window", "value_shown", "threshold_shown", "volume", "closed_at")
    list_filter = ("kind", "window", ("closed_at", admin.EmptyFieldListFilter))
    list_select_related = ("brand",)
    date_hierarchy = "opened_at"

    @admin.display(description=_("value when crossed"), ordering="value")
    def value_shown(self, obj: AlertCrossing) -> str:
        return f"{obj.value * 100:.1f} %"

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_shown(self, obj: AlertCrossing) -> str:
        return f"{obj.threshold * 100:.1f} %"
