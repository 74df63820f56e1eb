"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, all in one place; each app adds its own entries here with the reason.
app.conf.beat_schedule = {
    # Safety net for webhook events whose drain was never enqueued (broker down at that moment).
    "webhook-events-sweep": {"task": "notifications.tasks.webhook_events_process", "schedule": 30.0},
}
