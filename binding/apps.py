from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BindingConfig(AppConfig):
    name = "binding"
    verbose_name = _("LINE binding")

    def ready(self) -> None:
        # Binding hooks into the send pipeline; notifications imports nothing of binding.
        from binding.links import fill_bind_link
        from binding.services import welcome_follow_apply
        from binding.services.welcome import TEXTS
        from notifications.hooks import handles, variable_provider_register
        from notifications.texts import messages_register

        variable_provider_register(fill_bind_link)
        handles("follow")(welcome_follow_apply)
        messages_register(TEXTS)
