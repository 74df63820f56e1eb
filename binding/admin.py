"""Admin for binding: each brand's binding settings, the binding funnel, the welcomes sent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from binding.models import BindingSettings, WelcomeMessage
from binding.selectors import binding_funnel
from binding.services import binding_settings_remove, binding_settings_save, line_friends_sync
from integrations import line as line_client
from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.selectors import brands_visible_to


class BindingSettingsForm(forms.ModelForm):
    class Meta:
        model = BindingSettings
        fields = (
            "brand",
            "page_url_template",
            "link_valid_days",
            "otp_template_code",
            "welcome_template_code",
            "welcome_period_days",
            "welcome_user_name",
            "login_channel_id",
            "backend_verifies_uid",
        )
        widgets = {"page_url_template": forms.TextInput(attrs={"size": 90})}


@admin.register(BindingSettings)
class BindingSettingsAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    form = BindingSettingsForm
    list_display = ("brand", "page_url_template", "otp_template_code", "welcome_template_code", "updated_at")
    list_select_related = ("brand",)
    search_fields = ("brand__slug", "brand__name")
    fieldsets = (
        (None, {"fields": ("brand", "page_url_template", "link_valid_days")}),
        (_("Who the LINE user is"), {"fields": ("login_channel_id", "backend_verifies_uid")}),
        (_("One-time password"), {"fields": ("otp_template_code",)}),
        (_("Welcome message"), {"fields": ("welcome_template_code", "welcome_period_days", "welcome_user_name")}),
    )

    actions = ("sync_line_friends",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("brand",) if obj is not None else ()

    @admin.action(permissions=["change"], description=_("Sync LINE friends now (read LINE's follower list)"))
    def sync_line_friends(self, request: HttpRequest, queryset: QuerySet[BindingSettings]) -> None:
        """For go-live: mark every known LINE user of each selected brand friend or not, from LINE's list."""
        for binding in queryset.select_related("brand"):
            brand = binding.brand
            try:
                result = line_friends_sync(brand=brand, actor=request.user)
            except line_client.LineError as exc:
                message = _("%(brand)s: LINE's follower list could not be read (%(error)s); nothing was changed.")
                self.message_user(request, message % {"brand": brand, "error": exc}, messages.ERROR)
                continue
            if not result.available:
                message = _(
                    "%(brand)s: LINE gives the follower list only to verified or premium accounts; "
                    "friends are kept from follow and unfollow events."
                )
                self.message_user(request, message % {"brand": brand}, messages.WARNING)
                continue
            message = _(
                "%(brand)s: %(followers)d followers on LINE; %(friends)d bound members became friends, "
                "%(gone)d are no longer friends; %(added)d new unbound followers."
            )
            counts = {
                "brand": brand,
                "followers": result.followers,
                "friends": result.bound_now_friends,
                "gone": result.bound_no_longer_friends,
                "added": result.followers_added,
            }
            self.message_user(request, message % counts, messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: BindingSettings, form: Any, change: bool) -> None:
        binding_settings_save(binding=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: BindingSettings) -> None:
        binding_settings_remove(binding=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BindingSettings]) -> None:
        for binding in queryset.select_related("brand"):
            binding_settings_remove(binding=binding, actor=request.user)

    def get_urls(self) -> list[Any]:
        urls = [path("funnel/", self.admin_site.admin_view(self.funnel_view), name="binding_bindingsettings_funnel")]
        return urls + super().get_urls()

    def funnel_view(self, request: HttpRequest) -> HttpResponse:
        """Each visible brand's funnel: PNP delivered → friend added → bound, and push savings."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = FunnelForm(request.GET or None)
        today = timezone.localdate()
        start_day, end_day = today - timedelta(days=29), today
        if form.is_valid():
            start_day = form.cleaned_data.get("start") or start_day
            end_day = form.cleaned_data.get("end") or end_day
        start = timezone.make_aware(datetime.combine(start_day, time.min))
        end = timezone.make_aware(datetime.combine(end_day + timedelta(days=1), time.min))
        brands: QuerySet[Any] = brands_visible_to(request.user).order_by("name")  # type: ignore[arg-type]
        rows = [(brand, binding_funnel(brand=brand, start=start, end=end)) for brand in brands]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Binding funnel"),
            "opts": self.model._meta,
            "form": form,
            "start_day": start_day,
            "end_day": end_day,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/binding/bindingsettings/funnel.html", context)


class FunnelForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(WelcomeMessage)
class WelcomeMessageAdmin(BrandScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("brand", "masked_uid", "period_start", "status", "sent_via", "template_code", "sent_at")
    list_filter = ("status", "sent_via", "brand")
    list_select_related = ("brand",)
    search_fields = ("uid__exact",)
    show_full_result_count = False
    exclude = ("reply_token",)

    @admin.display(description=_("LINE user id"))
    def masked_uid(self, obj: WelcomeMessage) -> str:
        return f"{obj.uid[:5]}…{obj.uid[-4:]}"
