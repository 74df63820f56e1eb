"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in every app."""

import os
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab
from kombu.transport import TRANSPORT_ALIASES

# ``filesystem://`` (the embedded broker) is kombu's transport with whole-file writes and
# claims; see portal/broker.py for the race it closes.
TRANSPORT_ALIASES["filesystem"] = "portal.broker:Transport"

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
    # Reviewers start their day with what waits in the template review queue (and overrules
    # of blocking findings a second reviewer must confirm): brands wait for approvals, and
    # nobody watches the queue all day. 08:45 Taipei, at the start of the working day.
    "compliance-review-digest": {
        "task": "compliance.tasks.review_digest_task",
        "schedule": crontab(hour=8, minute=45),
    },
    # Account managers start their day with what is late at LINE, NDAs about to expire and
    # the coming quarterly cut-off for new use cases (08:30 Taipei, before the working day).
    "applications-send-reminders": {
        "task": "applications.tasks.applications_send_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    # LINE binding: a welcome message whose send task was lost (broker hiccup, retries given up)
    # is a pending row; re-enqueue it. Each minute, because a welcome is worth most right away.
    "binding-welcomes-requeue": {
        "task": "binding.tasks.welcomes_requeue_task",
        "schedule": 60,
    },
    # LINE's friend list: follow/unfollow events keep it current; a daily read of LINE's
    # follower ids catches friends from before go-live and any missed event (LINE's rules).
    "binding-line-friends-sync": {
        "task": "binding.tasks.line_friends_sync_task",
        "schedule": crontab(hour=4, minute=15),
    },
    # Billing reconciliation: LINE publishes a JST day's PNP count "usually by the next day";
    # ask daily for every day not yet settled (unready and failed days are asked again).
    "billing-line-daily-counts": {
        "task": "billing.tasks.line_daily_counts_fetch",
        "schedule": 24 * 3600,
    },
    # Idempotency keys: a brand may replay a request for 48 hours (twice the 24 h promised);
    # older keys only grow the table every send writes to. Hourly, in chunks.
    "notifications-idempotency-keys-prune": {
        "task": "notifications.tasks.idempotency_keys_prune",
        "schedule": crontab(minute=40),
    },
    # Delivery alerts: the rollups are written live, so ten minutes after a brand's delivery rate
    # falls (or its 422 share, block rate or SMS failures rise) its account managers know, once
    # per crossing (notifications.services.alerts).
    "notifications-alerts": {
        "task": "notifications.tasks.alerts_evaluate_task",
        "schedule": 600,
    },
    # Retention: notification content (variables, rendered texts, vendors' error texts) and
    # webhook payloads are removed when their periods end (README, "Retention"); counts and
    # bills stay. Daily at 03:30, outside office hours, after the import-file purge.
    "notifications-retention": {
        "task": "notifications.tasks.retention_enforce",
        "schedule": crontab(hour=3, minute=30),
    },
    # Member imports: uploaded files and rejected-rows reports hold names and phone numbers;
    # delete them MEMBER_IMPORT_FILE_RETENTION_DAYS after the import (03:15, outside office hours).
    "members-import-files-purge": {
        "task": "members.tasks.member_import_files_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    # API keys: authentication refuses an expired key by its date; this records the expiry in
    # the audit trail once, so a brand's key history shows when it stopped working. Hourly is
    # close enough for a record (the refusal itself is immediate).
    "portal-api-keys-expire": {
        "task": "portal.tasks.api_keys_expire_task",
        "schedule": 3600,
    },
}


@app.on_after_configure.connect
def add_configured_schedules(sender: Celery, **kwargs: Any) -> None:
    """Schedules whose interval is a setting (read once Django's settings are loaded)."""
    from django.conf import settings

    # SMS fallback delays, LINE's 24-hour delivery window, the outbox sweeper for lost enqueues,
    # and webhook events whose drain was never enqueued: all are rows in the database, so a
    # timer is a periodic scan, never a far-future ETA task (those misbehave with Redis).
    sender.add_periodic_task(
        settings.NOTIFICATION_TIMERS_EVERY,
        sender.signature("notifications.tasks.notification_timers"),
        name="notification-timers",
    )


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(**kwargs: Any) -> None:
    """Around each task, what Django does around each request: drop connections too old or broken.

    Not for a task run eagerly: it runs inside its caller's request or transaction.
    """
    from django.db import close_old_connections

    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
