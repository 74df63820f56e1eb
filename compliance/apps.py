from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance: templates and applications")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from compliance.models import AllowedPhrase, BrandLinkDomain, PromotionalTerm
        from compliance.selectors import forget_send_caches

        for model in (PromotionalTerm, AllowedPhrase, BrandLinkDomain):
            post_save.connect(forget_send_caches, sender=model, dispatch_uid=f"compliance.forget.{model.__name__}")
            post_delete.connect(forget_send_caches, sender=model, dispatch_uid=f"compliance.forget_d.{model.__name__}")
