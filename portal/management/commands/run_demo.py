"""Start everything ``make run`` needs: web server, Celery worker and beat, and the LINE sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from portal.demo import DEMO_PASSWORD, DEMO_USERS
from portal.models import Brand, BrandAPIKey
from portal.services import api_key_create, api_key_revoke

DEMO_BRAND = "demo-shop"
KEY_NAME = "make run"
ACTOR = "command:run_demo"


def demo_api_key(*, rotate: bool = False) -> tuple[str, bool]:
    """Return the demo brand's API key for this run directory and whether it was created now.

    The key lives in ``VAR_DIR/demo-api-key`` (readable by its owner only), so a restart prints
    the same key and a newcomer's curl commands keep working. It is replaced when asked, or when
    the stored one no longer opens the API (revoked, expired, another database).
    """
    path = settings.VAR_DIR / "demo-api-key"
    brand = Brand.objects.get(slug=DEMO_BRAND)
    stored = path.read_text().strip() if path.exists() else ""
    current = BrandAPIKey.objects.filter(brand=brand, prefix=stored.partition(".")[0]).first() if stored else None
    usable = current is not None and current.is_valid(stored) and not current.revoked and not current.has_expired
    if usable and not rotate:
        return stored, False
    for old in BrandAPIKey.objects.filter(brand=brand, name=KEY_NAME, revoked=False):
        api_key_revoke(api_key=old, actor=ACTOR)
    _, key = api_key_create(brand=brand, name=KEY_NAME, actor=ACTOR)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    path.chmod(0o600)  # an older file keeps its mode through O_TRUNC
    return key, True


def demo_environment(*, port: int, sandbox_port: int) -> dict[str, str]:
    """Return the environment of every process: all URLs derive from the two ports."""
    return {
        **os.environ,
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "LINE_API_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "SMS_API_BASE_URL": f"http://127.0.0.1:{sandbox_port}/sms",
        "VAR_DIR": str(settings.VAR_DIR),
        "DEMO_MODE": "1",
    }


class Command(BaseCommand):
    help = "Run the portal with every process it needs, for a developer's machine. Ctrl-C stops them all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT, help="the portal's port (default PORT, 8000)")
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=settings.SANDBOX_PORT,
            help="the LINE and SMS sandbox's port (default SANDBOX_PORT, 8090)",
        )
        parser.add_argument(
            "--rotate-key", action="store_true", help="revoke the demo brand's stored API key and print a new one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port, sandbox_port = options["port"], options["sandbox_port"]
        python = sys.executable
        processes: dict[str, list[str]] = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        if apps.is_installed("line_sandbox"):
            world = settings.VAR_DIR / "sandbox-world.json"
            call_command("export_sandbox_world", "--output", str(world), "--portal-url", f"http://127.0.0.1:{port}")
            processes["sandbox"] = [
                python,
                "manage.py",
                "line_sandbox",
                "--port",
                str(sandbox_port),
                "--world",
                str(world),
                "--portal-url",
                f"http://127.0.0.1:{port}",
                "--phone-view",
            ]

        api_key, created = demo_api_key(rotate=options["rotate_key"])
        key_note = "new" if created else f"kept in {settings.VAR_DIR / 'demo-api-key'}; --rotate-key replaces it"

        environment = demo_environment(port=port, sandbox_port=sandbox_port)
        started: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in processes.items():
            started[name] = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment)  # noqa: S603

        logins = "\n".join(
            f"    {username:<10} {DEMO_PASSWORD}   {role or 'superuser'}" for username, (role, _) in DEMO_USERS.items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPNP portal running: http://127.0.0.1:{port}/admin/\n"
                f"  Demo logins (user / password / role):\n{logins}\n"
                f"  API key for {DEMO_BRAND} ({key_note}): {api_key}\n"
                f"  API docs: http://127.0.0.1:{port}/api/docs/\n"
                f"  LINE and SMS sandbox: http://127.0.0.1:{sandbox_port}/\n"
                f"  Processes: {', '.join(started)}. Press Ctrl-C to stop them all.\n"
            )
        )

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in started.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the others.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in started.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in started.values():
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("All processes stopped.")
