from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """Each brand's LINE PNP application, from NDA to go-live, on Taiwan working days."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "applications"
    verbose_name = _("PNP applications")
