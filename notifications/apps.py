from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from compliance.hooks import send_stats_provider_register
        from members.hooks import member_page_section_register
        from notifications import services  # noqa: F401  (registers notifications' own webhook handlers first)
        from notifications.api.webhooks import forget_brand_secrets
        from notifications.selectors import template_send_stats
        from notifications.story import member_notifications_section
        from portal.models import Brand

        send_stats_provider_register(template_send_stats)
        member_page_section_register(member_notifications_section)
        post_save.connect(forget_brand_secrets, sender=Brand, dispatch_uid="notifications.forget_secrets")
        post_delete.connect(forget_brand_secrets, sender=Brand, dispatch_uid="notifications.forget_secrets_del")
