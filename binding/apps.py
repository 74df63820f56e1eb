from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BindingConfig(AppConfig):
    name = "binding"
    verbose_name = _("LINE binding")
