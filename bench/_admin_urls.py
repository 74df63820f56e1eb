"""URLs for the admin benchmark: the portal's admin and a reference admin with Django's defaults."""

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import path

from members.models import Member

reference_site = AdminSite(name="reference")


@admin.register(Member, site=reference_site)
class ReferenceMemberAdmin(admin.ModelAdmin):
    """What a first version would look like: default paginator, full counts, ``=`` search."""

    list_display = ("external_id", "name", "phone_e164", "phone_type", "pnp_consent", "sms_consent", "brand")
    list_filter = ("brand", "pnp_consent", "sms_consent", "needs_phone_confirmation", "duplicate_phone")
    search_fields = ("=external_id", "=phone_e164")
    change_list_template = "admin/change_list.html"  # not the portal's own template
    list_per_page = 100


urlpatterns = [
    path("admin/", admin.site.urls),
    path("reference/", reference_site.urls),
]
