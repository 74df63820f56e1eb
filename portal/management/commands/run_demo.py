"""Start everything ``make run`` needs: web server, Celery worker and beat, and the LINE sandbox."""

from __future__ import annotations

import io
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


class Command(BaseCommand):
    help = "Run the portal with every process it needs, for a developer's machine. Ctrl-C stops them all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8090)

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
            world = settings.BASE_DIR / "var" / "sandbox-world.json"
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
            ]

        key_out = io.StringIO()
        call_command(
            "create_api_key",
            "--brand",
            "demo-shop",
            "--name",
            "make run",
            "--replace",
            stdout=key_out,
            stderr=io.StringIO(),
        )
        api_key = key_out.getvalue().strip().splitlines()[-1]

        started: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in processes.items():
            started[name] = subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603

        logins = "\n".join(
            f"    {username:<10} {DEMO_PASSWORD}   {role or 'superuser'}" for username, (role, _) in DEMO_USERS.items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPNP portal running: http://127.0.0.1:{port}/admin/\n"
                f"  Demo logins (user / password / role):\n{logins}\n"
                f"  API key for demo-shop (shown once): {api_key}\n"
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
