"""Load the demo data every app provides (``<app>/demo.py`` with ``seed(stdout)``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load demo data for make run. Idempotent: a second run adds nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        for app_config in apps.get_app_configs():
            try:
                module = import_module(f"{app_config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_config.name}.demo":
                    raise
                continue
            self.stdout.write(f"{app_config.label}:")
            module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
