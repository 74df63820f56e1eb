"""Admin for what was sent: read-only evidence, scoped to the brands each user may see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.phones import phone_hash
from notifications.choices import AlertKind, Channel
from notifications.models import (
    AlertCrossing,
    Attempt,
    BrandAlertThresholds,
    Notification,
    NotificationEvent,
    SmsAccount,
    WebhookEvent,
)
from notifications.services.accounts import SMS_ACCOUNT_FIELDS, sms_account_create_or_update
from notifications.services.alerts import THRESHOLD_FIELDS, alert_threshold, alert_thresholds_set
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin


class AttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attempt
    extra = 0
    fields = (
        "channel",
        "status",
        "sent_at",
        "accepted_at",
        "delivered_at",
        "http_status",
        "retries",
        "error",
        "sms_segments",
    )
    readonly_fields = fields


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NotificationEvent
    extra = 0
    fields = ("at", "kind", "detail")
    readonly_fields = fields
    verbose_name_plural = _("timeline")


# Short channel names for the list: the full labels ("LINE notification message (PNP)") wrap
# every row on a laptop screen. The filter and the detail page keep the full labels.
CHANNEL_SHORT_LABELS: dict[str, Any] = {Channel.PNP: _("PNP"), Channel.LINE_PUSH: _("LINE push"), Channel.SMS: _("SMS")}


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
    list_filter = ("status", "delivered_channel", "delivered_twice", "channel", "brand")
    list_select_related = ("brand", "member")
    search_fields = ("id__exact", "member__external_id__exact", "template_code__exact")
    show_full_result_count = False
    date_hierarchy = None
    ordering = ("-id",)
    fields = (
        "brand",
        "member_ref",
        "masked_phone",
        "template_code",
        "template_version",
        "status",
        "channel_plan",
        "created_at",
        "occurred_at",
        "delivered_at",
        "delivered_channel",
        "delivered_twice",
        "final_reason",
        "line_messages",
        "sms_text",
    )
    readonly_fields = (*fields, "phone_view")
    inlines = (AttemptInline, EventInline)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # make run only: the LINE sandbox shows what the member's phone received.
        return (*self.fields, "phone_view") if settings.DEMO_MODE else self.fields

    @admin.display(description=_("member's phone (LINE sandbox)"))
    def phone_view(self, obj: Notification) -> str:
        url = f"{settings.LINE_API_BASE_URL.rstrip('/')}/sandbox/phone/{phone_hash(obj.member.phone_e164)}"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open the phone view"))

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


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "brand", "event_type", "event_id", "is_redelivery", "result", "detail")
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
        "detail",
        "payload",
    )
    readonly_fields = fields


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
