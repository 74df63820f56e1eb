"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, all in one place; each app adds its own entries here with the reason.
app.conf.beat_schedule = {
    # Template quality (compliance): suspend templates whose sends mostly fall back to SMS or
    # make members block the OA; daily, because the block figures settle only after 24 hours.
    "compliance-template-quality-review": {
        "task": "compliance.tasks.template_quality_review_task",
        "schedule": 24 * 3600,
    },
}
