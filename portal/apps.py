from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: brands, access and audit")

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = _("LINE notification message portal")
        admin.site.site_title = _("PNP portal")
        admin.site.index_title = _("Operations")
