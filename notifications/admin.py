"""Admin for what was sent: read-only evidence, scoped to the brands each user may see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications.choices import Channel
from notifications.models import Attempt, Notification, NotificationEvent, SmsAccount, WebhookEvent
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.fields import Secret
from portal.services import audit_record


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
    readonly_fields = fields
    inlines = (AttemptInline, EventInline)

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
        label=_("API base URL"), assume_scheme="https", help_text=_("e.g. https://smsb2c.mitake.com.tw/b2c/mtk")
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

    def save_model(self, request: HttpRequest, obj: SmsAccount, form: Any, change: bool) -> None:
        new_password = form.cleaned_data.get("new_password")
        if new_password:
            obj.password = Secret(new_password)
        super().save_model(request, obj, form, change)
        changed = sorted(name for name in form.changed_data if name != "new_password")
        audit_record(
            action="sms_account.updated" if change else "sms_account.created",
            actor=request.user,
            obj=obj,
            data={"fields": changed, "password_replaced": bool(new_password)},
        )
