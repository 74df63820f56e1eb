"""Admin for brands, API keys and the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey

from portal.admin_mixins import BrandScopedAdminMixin, ReadOnlyAdminMixin
from portal.models import AuditEvent, Brand, BrandAPIKey
from portal.selectors import brands_editable_by, brands_visible_to
from portal.services import (
    API_KEY_FIELDS,
    BRAND_FIELDS,
    api_key_create,
    api_key_revoke,
    api_key_update,
    brand_create,
    brand_update,
)

admin.site.unregister(APIKey)


class BrandForm(forms.ModelForm):
    """Brand form whose LINE credentials can be replaced but are never shown again."""

    new_channel_secret = forms.CharField(
        label=_("New channel secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave blank to keep the stored secret. It is encrypted and cannot be displayed again."),
    )
    new_channel_access_token = forms.CharField(
        label=_("New channel access token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave blank to keep the stored token. It is encrypted and cannot be displayed again."),
    )

    class Meta:
        model = Brand
        fields = (
            "name",
            "slug",
            "is_active",
            "account_type",
            "legal_entity_type",
            "is_certified_provider",
            "certified_provider_since",
            "application_path",
            "line_channel_id",
            "account_managers",
        )


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandForm
    list_display = (
        "name",
        "slug",
        "account_type",
        "is_certified_provider",
        "application_path",
        "credentials",
        "is_active",
    )
    list_filter = ("account_type", "legal_entity_type", "application_path", "is_certified_provider", "is_active")
    search_fields = ("name", "slug", "line_channel_id")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("account_managers",)
    readonly_fields = ("credentials", "credentials_updated_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active")}),
        (
            _("Eligibility"),
            {
                "fields": (
                    "account_type",
                    "legal_entity_type",
                    "is_certified_provider",
                    "certified_provider_since",
                    "application_path",
                )
            },
        ),
        (
            _("LINE channel"),
            {
                "fields": (
                    "line_channel_id",
                    "credentials",
                    "credentials_updated_at",
                    "new_channel_secret",
                    "new_channel_access_token",
                )
            },
        ),
        (_("Team"), {"fields": ("account_managers",)}),
        (_("History"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Brand]:
        return brands_visible_to(request.user).prefetch_related("account_managers")

    def has_change_permission(self, request: HttpRequest, obj: Brand | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:  # type: ignore[union-attr]
            return allowed
        return brands_editable_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Brand | None = None) -> bool:
        return False  # deactivate instead: deleting would take the brand's members, consents and keys with it

    def get_readonly_fields(self, request: HttpRequest, obj: Brand | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # type: ignore[union-attr]
            # Who manages a brand, and whether it is eligible, is decided by an administrator.
            fields += ["account_managers", "is_certified_provider", "certified_provider_since", "slug"]
        return fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Brand | None = None) -> dict[str, Any]:
        return self.prepopulated_fields if request.user.is_superuser else {}  # type: ignore[union-attr]

    @admin.display(description=_("Credentials"))
    def credentials(self, obj: Brand) -> str:
        secret = _("secret stored") if obj.has_channel_secret else _("no secret")
        token = _("token stored") if obj.has_channel_access_token else _("no token")
        return f"{secret} · {token}"

    def save_model(self, request: HttpRequest, obj: Brand, form: BrandForm, change: bool) -> None:
        data = form.cleaned_data
        credentials = {
            "channel_secret": data.get("new_channel_secret") or None,
            "access_token": data.get("new_channel_access_token") or None,
        }
        managers = data["account_managers"] if "account_managers" in form.changed_data else None
        if change:
            fields = {name: data[name] for name in form.changed_data if name in BRAND_FIELDS}
            brand = brand_update(
                brand=Brand.objects.get(pk=obj.pk),
                actor=request.user,
                account_managers=managers,
                **credentials,
                **fields,
            )
        else:
            fields = {name: data[name] for name in BRAND_FIELDS if name in data and name not in ("slug", "name")}
            brand = brand_create(
                slug=data["slug"],
                name=data["name"],
                actor=request.user,
                account_managers=managers,
                **credentials,
                **fields,
            )
        obj.pk = brand.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Do nothing: save_model set the account managers through the service; there are no inlines."""


@admin.register(BrandAPIKey)
class BrandAPIKeyAdmin(BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "name", "brand", "created", "last_used_at", "expiry_date", "usable")
    list_filter = ("revoked", "brand")
    list_select_related = ("brand",)
    search_fields = ("name", "prefix__exact")
    fields = ("brand", "name", "expiry_date", "prefix", "created", "last_used_at", "revoked")
    readonly_fields = ("prefix", "created", "last_used_at", "revoked")
    actions = ("revoke_keys",)

    def get_readonly_fields(self, request: HttpRequest, obj: BrandAPIKey | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("brand")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # revoke instead: the key's history stays

    def save_model(self, request: HttpRequest, obj: BrandAPIKey, form: Any, change: bool) -> None:
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in API_KEY_FIELDS}
            api_key_update(api_key=BrandAPIKey.objects.get(pk=obj.pk), actor=request.user, **fields)
            return
        api_key, key = api_key_create(brand=obj.brand, name=obj.name, actor=request.user, expiry_date=obj.expiry_date)
        obj.pk = api_key.pk
        obj.refresh_from_db()
        obj._state.adding = False
        self.message_user(
            request,
            _("The API key for %(name)s is: %(key)s — copy it now: it is stored hashed and cannot be shown again.")
            % {"name": obj.name, "key": key},
            messages.WARNING,
        )

    @admin.display(boolean=True, description=_("usable"))
    def usable(self, obj: BrandAPIKey) -> bool:
        return not obj.revoked and not obj.has_expired

    @admin.action(description=_("Revoke selected API keys"), permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[BrandAPIKey]) -> None:
        editable = queryset.filter(brand__in=brands_editable_by(request.user))
        count = 0
        for api_key in editable:
            api_key_revoke(api_key=api_key, actor=request.user)
            count += 1
        self.message_user(request, _("%(count)d API keys revoked.") % {"count": count})


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, BrandScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "content_type", "object_repr", "brand")
    list_filter = ("action", "content_type", "brand")
    list_select_related = ("brand", "content_type")
    search_fields = ("object_repr", "actor_label", "object_id__exact")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_label",
        "actor",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "brand",
        "data",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        queryset = AuditEvent.objects.select_related("brand", "content_type", "actor")
        if request.user.is_superuser:  # type: ignore[union-attr]
            return queryset
        # Events about no brand (a user's own actions) are shown only to superusers.
        return queryset.filter(brand__in=brands_visible_to(request.user))
