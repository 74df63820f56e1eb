"""What came of a request: LINE's or the vendor's answer recorded, the next channel queued, the end."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from members.services import member_flag_phone_unreachable
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import RetryLater
from notifications.models import Attempt, Notification, NotificationEvent
from notifications.services.accepting import enqueue_dispatch
from notifications.services.common import DELIVERY_WINDOW_SECONDS, MAX_RETRIES, line_time, timeline_add
from notifications.stats import latency_bucket, stat_add, stats_add
from portal.db import bulk_insert


def attempt_release_for_retry(
    notification: Notification, attempt: Attempt, error: str, retry_after: float | None
) -> None:
    """Nothing was sent: put the notification back in the queue and ask Celery to retry later."""
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
        attempt.sent_at = None
        attempt.retries += 1
        attempt.error = error[:300]
        gave_up = attempt.retries > MAX_RETRIES
        if gave_up:
            attempt.status = AttemptStatus.FAILED
            attempt.answered_at = timezone.now()
        attempt.save()
        notification.status = NotificationStatus.QUEUED
        notification.save(update_fields=["status", "updated_at"])
        if gave_up:
            timeline_add(
                notification,
                EventKind.LINE_ERROR if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
                _("gave up after %(n)d retries: %(error)s") % {"n": MAX_RETRIES, "error": error},
                attempt,
            )
            notification_move_on(notification, attempt)
            return
        timeline_add(
            notification,
            EventKind.LINE_RETRY if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
            error,
            attempt,
        )
    raise RetryLater(notification_id=notification.pk, retries=attempt.retries, retry_after=retry_after)


def notification_move_on(notification: Notification, attempt: Attempt) -> None:
    """After a channel failed for good: queue the next planned channel, or fail the notification."""
    remaining = [
        c for c in notification.channel_plan if c not in set(notification.attempts.values_list("channel", flat=True))
    ]
    if remaining:
        notification.status = NotificationStatus.QUEUED
        notification.fallback_due_at = None
        notification.save(update_fields=["status", "fallback_due_at", "updated_at"])
        if remaining[0] == Channel.SMS:
            stat_add(
                brand_id=notification.brand_id, at=timezone.now(), channel=attempt.channel, metric=Metric.SMS_FALLBACK
            )
        transaction.on_commit(lambda: enqueue_dispatch([notification.pk]))
    elif not notification.is_final:
        notification_finish(
            notification, NotificationStatus.FAILED, attempt.error or _("Not delivered on any channel.")
        )


def notification_finish(notification: Notification, status: str, reason: str) -> None:
    notification.status = status
    notification.final_reason = reason[:200]
    notification.fallback_due_at = None
    notification.expires_at = None
    notification.save(update_fields=["status", "final_reason", "fallback_due_at", "expires_at", "updated_at"])
    if status == NotificationStatus.FAILED:
        timeline_add(notification, EventKind.FAILED, reason)
        stat_add(
            brand_id=notification.brand_id, at=timezone.now(), channel=notification.channel or "", metric=Metric.FAILED
        )


def notification_relock(notification: Notification, attempt: Attempt) -> tuple[Notification, Attempt]:
    """Re-read both rows under lock: a webhook may have moved them while the request was in flight."""
    # of=("self",): lock the notification only, never the brand, member or template version it
    # joins (two workers locking those shared rows in different orders deadlock).
    fresh = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("brand", "member", "template_version")
        .get(pk=notification.pk)
    )
    return fresh, Attempt.objects.select_for_update().get(pk=attempt.pk)


def delivery_await(notification: Notification, attempt: Attempt, now: datetime, *, save: bool = True) -> None:
    if notification.status != NotificationStatus.SENDING:
        return  # the delivery event was faster than LINE's answer: nothing left to wait for
    notification.status = NotificationStatus.AWAITING_DELIVERY
    notification.expires_at = now + line_time(DELIVERY_WINDOW_SECONDS)
    delay = notification.template_version.sms_fallback_delay_minutes
    has_sms_next = Channel.SMS in notification.channel_plan[notification.channel_plan.index(attempt.channel) + 1 :]
    notification.fallback_due_at = now + line_time(delay * 60) if delay and has_sms_next else None
    if save:
        notification.save(update_fields=["status", "expires_at", "fallback_due_at", "updated_at"])


def rows_lock_in_order(model: type[Notification] | type[Attempt], ids: list[int]) -> None:
    """Lock these rows for the transaction, in id order."""
    list(model.objects.select_for_update().filter(pk__any_of=ids).order_by("pk").values_list("pk", flat=True))


def pnp_accepted_many(items: list[tuple[Notification, Attempt, datetime]]) -> None:
    """Record LINE's 200 for a batch of PNPs: waiting for each one's delivery event from now on.

    One answer time for the batch (its last answer, a few milliseconds after the first); the
    send time of each attempt stays its own. The updates re-check each row's state, so a
    delivery event that was faster than LINE's answer is kept.
    """
    answered_at = max(at for _n, _a, at in items)
    expires_at = answered_at + line_time(DELIVERY_WINDOW_SECONDS)
    fallback_groups: dict[datetime | None, list[int]] = {}
    for notification, attempt, _at in items:
        delay = notification.template_version.sms_fallback_delay_minutes
        plan = notification.channel_plan
        has_sms_next = Channel.SMS in plan[plan.index(attempt.channel) + 1 :]
        due = answered_at + line_time(delay * 60) if delay and has_sms_next else None
        fallback_groups.setdefault(due, []).append(notification.pk)
    attempt_ids = [a.pk for _n, a, _t in items]
    with transaction.atomic():
        # Locked as every other writer locks them: notifications, then attempts, each by id.
        # The grouped UPDATEs below would otherwise take the rows group by group.
        rows_lock_in_order(Notification, [n.pk for n, _a, _t in items])
        rows_lock_in_order(Attempt, attempt_ids)
        for due, ids in fallback_groups.items():
            Notification.objects.filter(pk__any_of=ids, status=NotificationStatus.SENDING).update(
                status=NotificationStatus.AWAITING_DELIVERY,
                expires_at=expires_at,
                fallback_due_at=due,
                updated_at=answered_at,
            )
        Attempt.objects.filter(pk__any_of=attempt_ids).update(
            # A delivery event faster than LINE's answer already made it "delivered": kept.
            status=Case(When(delivered_at__isnull=True, then=Value(AttemptStatus.ACCEPTED)), default=F("status")),
            answered_at=answered_at,
            accepted_at=answered_at,
            http_status=200,
        )
        detail = _("LINE answered 200; waiting for the delivery event")
        bulk_insert(
            [
                NotificationEvent(notification_id=n.pk, attempt_id=a.pk, kind=EventKind.SENT_TO_LINE, detail=detail)
                for n, a, _t in items
            ]
        )
        counts: Counter[tuple[int, datetime, str, str]] = Counter(
            (n.brand_id, answered_at, str(Channel.PNP), str(Metric.SENT)) for n, _a, _t in items
        )
        stats_add(counts)


def pnp_ambiguous(notification: Notification, attempt: Attempt, error: str) -> None:
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
        now = timezone.now()
        attempt.answered_at, attempt.error = now, error[:300]
        if attempt.delivered_at is None:
            attempt.status = AttemptStatus.AMBIGUOUS
        attempt.save(update_fields=["status", "answered_at", "error"])
        delivery_await(notification, attempt, now)
        timeline_add(
            notification,
            EventKind.AMBIGUOUS,
            _("%(error)s; policy %(policy)s") % {"error": error, "policy": settings.PNP_AMBIGUOUS_POLICY},
            attempt,
        )
        if settings.PNP_AMBIGUOUS_POLICY == "fallback_now" and notification.fallback_due_at is not None:
            notification.fallback_due_at = now
            notification.save(update_fields=["fallback_due_at"])


def pnp_refused(notification: Notification, attempt: Attempt) -> None:
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
        now = timezone.now()
        attempt.status, attempt.answered_at, attempt.http_status = AttemptStatus.REFUSED, now, 422
        attempt.error = "LINE 422: no LINE user for this number, or PNP consent off"
        attempt.save(update_fields=["status", "answered_at", "http_status", "error"])
        timeline_add(notification, EventKind.LINE_REFUSED, attempt.error, attempt)
        stat_add(brand_id=notification.brand_id, at=now, channel=Channel.PNP, metric=Metric.REFUSED_422)
        member_flag_phone_unreachable(member=notification.member, reason=attempt.error)
        notification_move_on(notification, attempt)


def channel_failed(notification: Notification, attempt: Attempt, status: int | None, error: str) -> None:
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
        attempt.status, attempt.answered_at, attempt.http_status = AttemptStatus.FAILED, timezone.now(), status
        attempt.error = error[:300]
        attempt.save(update_fields=["status", "answered_at", "http_status", "error"])
        timeline_add(
            notification,
            EventKind.SMS_FAILED if attempt.channel == Channel.SMS else EventKind.LINE_ERROR,
            error,
            attempt,
        )
        notification_move_on(notification, attempt)


def delivery_record(notification: Notification, attempt: Attempt, at: datetime) -> None:
    """Record a delivery on ``attempt``; a second channel's delivery is 'delivered twice'."""
    other_delivered = notification.attempts.exclude(pk=attempt.pk).filter(delivered_at__isnull=False).exists()
    latency = int((at - attempt.sent_at).total_seconds()) if attempt.sent_at else 0
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    counts[(notification.brand_id, at, attempt.channel, Metric.DELIVERED)] += 1
    counts[(notification.brand_id, at, attempt.channel, Metric.LATENCY_SECONDS)] += max(0, latency)
    counts[(notification.brand_id, at, attempt.channel, latency_bucket(max(0, latency)))] += 1  # billing: median
    if notification.status == NotificationStatus.DELIVERED or other_delivered:
        if not notification.delivered_twice:
            notification.delivered_twice = True
            counts[(notification.brand_id, at, attempt.channel, Metric.DELIVERED_TWICE)] += 1
            timeline_add(
                notification,
                EventKind.DELIVERED_TWICE,
                _("%(channel)s delivered too; the member may have received the notice twice")
                % {"channel": attempt.get_channel_display()},
                attempt,
            )
    if notification.status != NotificationStatus.DELIVERED:
        notification.status = NotificationStatus.DELIVERED
        notification.delivered_at = at
        notification.delivered_channel = attempt.channel
        notification.final_reason = ""
        timeline_add(notification, EventKind.DELIVERED, attempt.get_channel_display(), attempt)
    notification.fallback_due_at = None
    notification.expires_at = None
    notification.save(
        update_fields=[
            "status",
            "delivered_at",
            "delivered_channel",
            "delivered_twice",
            "final_reason",
            "fallback_due_at",
            "expires_at",
            "updated_at",
        ]
    )
    stats_add(counts)
