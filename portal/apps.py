from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: brands, access and audit")

    def ready(self) -> None:
        from django.apps import apps as global_apps
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from portal import db  # noqa: F401  (registers the any_of lookup)
        from portal.roles import apply_role_permissions

        def sync_roles(**kwargs: object) -> None:
            # After every migrate, so a model added by a later migration is granted too.
            apply_role_permissions(global_apps, None)

        post_migrate.connect(sync_roles, sender=self, weak=False, dispatch_uid="portal.sync_roles")

        admin.site.site_header = _("LINE notification message portal")
        admin.site.site_title = _("PNP portal")
        admin.site.index_title = _("Operations")
        admin.site.site_url = None  # the portal has no public site besides the API
