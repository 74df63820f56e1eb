from django.apps import AppConfig


class LineSandboxConfig(AppConfig):
    """Registers the sandbox only so `manage.py line_sandbox` exists; the server never imports Django."""

    name = "line_sandbox"
    verbose_name = "LINE sandbox"
