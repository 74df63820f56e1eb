"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in every app."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, all in one place; each app adds its own entries here with the reason.
app.conf.beat_schedule = {
    # Account managers start their day with what is late at LINE, NDAs about to expire and
    # the coming quarterly cut-off for new use cases (08:30 Taipei, before the working day).
    "applications-send-reminders": {
        "task": "applications.tasks.applications_send_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
}
