"""URLs for the admin benchmark: the portal's admin and a reference admin with Django's defaults."""

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import path

from members.models import Member
from notifications.models import Notification
from portal import urls as portal_urls

reference_site = AdminSite(name="reference")


@admin.register(Member, site=reference_site)
class ReferenceMemberAdmin(admin.ModelAdmin):
    """What a first version would look like: default paginator, full counts, ``=`` search."""

    list_display = ("external_id", "name", "phone_e164", "phone_type", "pnp_consent", "sms_consent", "brand")
    list_filter = ("brand", "pnp_consent", "sms_consent", "needs_phone_confirmation", "duplicate_phone")
    search_fields = ("=external_id", "=phone_e164")
    change_list_template = "admin/change_list.html"  # not the portal's own template
    list_per_page = 100


@admin.register(Notification, site=reference_site)
class ReferenceNotificationAdmin(admin.ModelAdmin):
    """Django's defaults over the same table: full counts, ``=`` search on stored columns, plain filters."""

    list_display = ("id", "created_at", "brand", "template_code", "member", "status", "delivered_channel")
    list_filter = ("status", "channel", "delivered_channel", "template_code", "brand")
    search_fields = ("=id", "=member__external_id", "=member__phone_e164", "=attempts__reference")
    list_select_related = ("brand", "member")
    change_list_template = "admin/change_list.html"
    list_per_page = 100

    def lookup_allowed(self, lookup: str, value: str, request: object = None) -> bool:
        return True  # the benchmark asks for days with ``created_at__date`` and ``delivered_at__date``


# The portal's own URLs (its admin templates reverse several), and the reference admin beside them.
urlpatterns = [path("reference/", reference_site.urls), *portal_urls.urlpatterns]
