"""The pipeline's clocks, run by beat: SMS fallback delays, the 24-hour window, the outbox sweeper."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.models import Notification
from notifications.services.accepting import enqueue_dispatch
from notifications.services.outcomes import notification_finish, pnp_ambiguous
from notifications.services.states import notification_write, queued_fields, timeline_add
from notifications.stats import stat_add
from notifications.texts import text


def fallbacks_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue the SMS for every PNP not delivered within its template's fallback delay."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=NotificationStatus.AWAITING_DELIVERY, fallback_due_at__lte=now)
        .order_by("fallback_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = []
    for notification_id in ids:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().get(pk=notification_id)
            if notification.status != NotificationStatus.AWAITING_DELIVERY or notification.fallback_due_at is None:
                continue
            pnp = notification.attempts.filter(channel=Channel.PNP).order_by("-id").first()
            timeline_add(
                notification,
                EventKind.FALLBACK_DUE,
                text("fallback.due", m=notification.template_version.sms_fallback_delay_minutes or 0),
                pnp,
            )
            notification_write(notification, queued_fields())
            stat_add(brand_id=notification.brand_id, at=now, channel=Channel.PNP, metric=Metric.SMS_FALLBACK)
            queued.append(notification_id)
    if queued:
        enqueue_dispatch(queued)
    return len(queued)


def deliveries_expire(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Close every notification with no delivery within the 24-hour window: 'not delivered' (inferred)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=NotificationStatus.AWAITING_DELIVERY, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().get(pk=notification_id)
            if notification.status != NotificationStatus.AWAITING_DELIVERY or notification.expires_at is None:
                continue
            open_attempts = notification.attempts.filter(
                status__in=[AttemptStatus.ACCEPTED, AttemptStatus.AMBIGUOUS], delivered_at__isnull=True
            )
            for attempt in open_attempts:
                attempt.status, attempt.answered_at = AttemptStatus.EXPIRED, attempt.answered_at or now
                attempt.save(update_fields=["status", "answered_at"])
                stat_add(
                    brand_id=notification.brand_id,
                    at=attempt.answered_at,
                    channel=attempt.channel,
                    metric=Metric.EXPIRED,
                )
            reason = text("final.expired")
            timeline_add(notification, EventKind.EXPIRED, reason)
            notification_finish(notification, NotificationStatus.NOT_DELIVERED, reason)
    return len(ids)


def outbox_sweep(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Re-enqueue notifications left queued (a lost enqueue) and settle sends a dead worker left behind."""
    now = now or timezone.now()
    queued_after_seconds = settings.NOTIFICATION_REQUEUE_AFTER_SECONDS
    stale_queued = list(
        Notification.objects.filter(
            status=NotificationStatus.QUEUED, updated_at__lt=now - timedelta(seconds=queued_after_seconds)
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    # A claim older than its lease is looked at; of those, a request that left is left alone
    # until its own timeout (and a margin) has passed: the worker may still be reading the answer.
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    request_timeout = max(sum(settings.LINE_API_TIMEOUT), sum(settings.SMS_API_TIMEOUT))
    in_flight_since = now - timedelta(seconds=request_timeout + settings.NOTIFICATION_STALE_SENDING_SECONDS)
    stale_sending = list(
        Notification.objects.filter(status=NotificationStatus.SENDING, updated_at__lt=now - lease).values_list(
            "pk", flat=True
        )[:limit]
    )
    for notification_id in stale_sending:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("template_version")
                .get(pk=notification_id)
            )
            if notification.status != NotificationStatus.SENDING:
                continue
            attempt = notification.attempts.filter(status=AttemptStatus.PENDING).order_by("-id").first()
            if attempt is not None and attempt.sent_at is not None and attempt.sent_at > in_flight_since:
                continue  # sent moments ago: its answer may still come
            if attempt is not None and attempt.sent_at is not None and attempt.channel == Channel.PNP:
                # The request left (or was leaving) when the worker stopped: LINE may have it.
                pnp_ambiguous(notification, attempt, "the sending worker stopped before LINE answered")
                continue
            if attempt is not None:
                # Never sent, or a push / SMS whose idempotency key makes a resend safe.
                attempt.sent_at, attempt.claim = None, ""
                attempt.save(update_fields=["sent_at", "claim"])
            notification_write(notification, queued_fields())
            stale_queued.append(notification_id)
    if stale_queued:
        enqueue_dispatch(stale_queued)
    return len(stale_queued)
