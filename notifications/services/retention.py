"""Retention: personal content is removed when its period ends; counts, states and bills stay.

* A final notification's variables, rendered LINE messages and SMS text, and its attempts'
  error texts (which may quote LINE's or the vendor's answer), after
  ``NOTIFICATION_CONTENT_RETENTION_DAYS``. Its status, times, channels and the delivery
  counts (billing's source) are kept.
* A processed webhook event's payload (LINE user ids, delivery tags), after
  ``WEBHOOK_PAYLOAD_RETENTION_DAYS``; its type, result and times are kept.
* Idempotency keys after their 48-hour life (:func:`~notifications.services.idempotency.idempotency_keys_prune`).

Beat runs :func:`retention_enforce` daily. Rows are changed a chunk at a time, each chunk in
its own short transaction, so the job never holds locks the send path waits for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.choices import FINAL_STATUSES
from notifications.models import Attempt, Notification, WebhookEvent
from notifications.services.idempotency import idempotency_keys_prune

CHUNK = 2000


def notifications_content_purge(*, now: datetime | None = None) -> int:
    """Remove the content of final notifications accepted before the retention period; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NOTIFICATION_CONTENT_RETENTION_DAYS)
    purged = 0
    while True:
        ids = list(
            Notification.objects.filter(
                created_at__lt=cutoff, status__in=FINAL_STATUSES, content_purged_at__isnull=True
            ).values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            return purged
        with transaction.atomic():
            Notification.objects.filter(pk__in=ids).update(
                variables={}, line_messages=[], sms_text="", content_purged_at=now
            )
            Attempt.objects.filter(notification_id__in=ids).exclude(error="").update(error="")
        purged += len(ids)


def webhook_payloads_purge(*, now: datetime | None = None) -> int:
    """Remove the payload of webhook events processed before the retention period; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_PAYLOAD_RETENTION_DAYS)
    purged = 0
    while True:
        ids = list(
            WebhookEvent.objects.filter(processed_at__lt=cutoff, payload_purged_at__isnull=True).values_list(
                "pk", flat=True
            )[:CHUNK]
        )
        if not ids:
            return purged
        WebhookEvent.objects.filter(pk__in=ids).update(payload={}, payload_purged_at=now)
        purged += len(ids)


def retention_enforce(*, now: datetime | None = None) -> dict[str, int]:
    """Apply every retention period; return how many rows each removed content from."""
    return {
        "notifications": notifications_content_purge(now=now),
        "webhook_events": webhook_payloads_purge(now=now),
        "idempotency_keys": idempotency_keys_prune(now=now),
    }
