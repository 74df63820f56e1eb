"""What came of a request: LINE's or the vendor's answer recorded, the next channel queued, the end."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from members.services import member_flag_phone_unreachable
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import RetryLater
from notifications.models import Attempt, Notification
from notifications.services.accepting import enqueue_dispatch
from notifications.services.common import MAX_RETRIES
from notifications.services.states import (
    awaiting_fields,
    delivered_counts,
    delivered_event,
    delivered_fields,
    final_fields,
    notification_write,
    notifications_write,
    queued_fields,
    timeline_add,
    timeline_add_many,
    timeline_event,
)
from notifications.stats import stat_add, stats_add
from notifications.texts import Text, external, text

# What the attempt of a PNP LINE refused with 422 records as its error (the member's flag too).
REFUSED_422 = "LINE 422: not on LINE, or PNP turned off by the user (or LINE's privacy policy not accepted)"


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
        notification_write(notification, queued_fields())
        if gave_up:
            timeline_add(
                notification,
                EventKind.LINE_ERROR if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
                text("retry.gave_up", n=MAX_RETRIES, error=error[:300]),
                attempt,
            )
            notification_move_on(notification, attempt)
            return
        timeline_add(
            notification,
            EventKind.LINE_RETRY if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
            external(error),
            attempt,
        )
    raise RetryLater(notification_id=notification.pk, retries=attempt.retries, retry_after=retry_after)


def notification_move_on(notification: Notification, attempt: Attempt) -> None:
    """After a channel failed for good: queue the next planned channel, or fail the notification."""
    remaining = [
        c for c in notification.channel_plan if c not in set(notification.attempts.values_list("channel", flat=True))
    ]
    if remaining:
        notification_write(notification, queued_fields())
        if remaining[0] == Channel.SMS:
            stat_add(
                brand_id=notification.brand_id, at=timezone.now(), channel=attempt.channel, metric=Metric.SMS_FALLBACK
            )
        transaction.on_commit(lambda: enqueue_dispatch([notification.pk]))
    elif not notification.is_final:
        notification_finish(notification, NotificationStatus.FAILED, attempt_error_text(attempt))


def attempt_error_text(attempt: Attempt) -> Text:
    """Why the attempt failed: the portal's words for a 422, else LINE's or the vendor's, as they came."""
    if attempt.status == AttemptStatus.REFUSED and attempt.error == REFUSED_422:
        return text("pnp.refused_422")
    if not attempt.error:
        return text("final.no_channel")
    return external(attempt.error)


def notification_finish(notification: Notification, status: str, reason: Text) -> None:
    """End the notification without a delivery: failed (counted, on its timeline) or not delivered."""
    notification_write(notification, final_fields(status=status, reason=reason))
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


def delivery_await(notification: Notification, attempt: Attempt, now: datetime) -> None:
    if notification.status != NotificationStatus.SENDING:
        return  # the delivery event was faster than LINE's answer: nothing left to wait for
    notification_write(notification, awaiting_fields(notification, channel=attempt.channel, at=now))


def rows_lock_in_order(model: type[Notification] | type[Attempt], ids: list[int]) -> None:
    """Lock these rows for the transaction, in id order."""
    list(model.objects.select_for_update().filter(pk__any_of=ids).order_by("pk").values_list("pk", flat=True))


def _accepted_status(notification: Notification) -> int:
    """LINE's answer when it accepts this notification's PNP: 202 for a LINE template, 200 otherwise."""
    return 202 if notification.template_version.is_line_template else 200


def pnp_accepted_many(items: list[tuple[Notification, Attempt, datetime]]) -> None:
    """Record LINE's 200 for a batch of PNPs: waiting for each one's delivery event from now on.

    One answer time for the batch (its last answer, a few milliseconds after the first); the
    send time of each attempt stays its own. The updates re-check each row's state, so a
    delivery event that was faster than LINE's answer is kept.
    """
    answered_at = max(at for _n, _a, at in items)
    # One UPDATE per set of values (the fallback time is the only one that differs).
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for notification, attempt, _at in items:
        fields = awaiting_fields(notification, channel=attempt.channel, at=answered_at)
        groups.setdefault(tuple(fields.items()), []).append(notification.pk)
    attempt_ids = [a.pk for _n, a, _t in items]
    with transaction.atomic():
        # Locked as every other writer locks them: notifications, then attempts, each by id.
        # The grouped UPDATEs below would otherwise take the rows group by group.
        rows_lock_in_order(Notification, [n.pk for n, _a, _t in items])
        rows_lock_in_order(Attempt, attempt_ids)
        for values, ids in groups.items():
            notifications_write(ids, source=NotificationStatus.SENDING, fields=dict(values), at=answered_at)
        # LINE accepts a flexible PNP with 200 and a LINE template's with 202: one UPDATE for each.
        by_status: dict[int, list[int]] = {}
        for notification, attempt, _at in items:
            by_status.setdefault(_accepted_status(notification), []).append(attempt.pk)
        for http_status, ids in by_status.items():
            Attempt.objects.filter(pk__any_of=ids).update(
                # A delivery event faster than LINE's answer already made it "delivered": kept.
                status=Case(When(delivered_at__isnull=True, then=Value(AttemptStatus.ACCEPTED)), default=F("status")),
                answered_at=answered_at,
                accepted_at=answered_at,
                http_status=http_status,
            )
        details = {200: text("pnp.accepted"), 202: text("pnp.accepted_template")}
        timeline_add_many(
            [
                timeline_event(
                    notification_id=n.pk,
                    attempt_id=a.pk,
                    kind=EventKind.SENT_TO_LINE,
                    detail=details[_accepted_status(n)],
                )
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
            text("pnp.ambiguous", error=error[:300], policy=settings.PNP_AMBIGUOUS_POLICY),
            attempt,
        )
        if settings.PNP_AMBIGUOUS_POLICY == "fallback_now" and notification.fallback_due_at is not None:
            notification_write(notification, {"fallback_due_at": now})


def pnp_refused(notification: Notification, attempt: Attempt) -> None:
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
        now = timezone.now()
        attempt.status, attempt.answered_at, attempt.http_status = AttemptStatus.REFUSED, now, 422
        attempt.error = REFUSED_422
        attempt.save(update_fields=["status", "answered_at", "http_status", "error"])
        timeline_add(notification, EventKind.LINE_REFUSED, text("pnp.refused_422"), attempt)
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
            external(error),
            attempt,
        )
        notification_move_on(notification, attempt)


def delivery_record(notification: Notification, attempt: Attempt, at: datetime) -> None:
    """Record a delivery on ``attempt``; a second channel's delivery is 'delivered twice'."""
    other_delivered = notification.attempts.exclude(pk=attempt.pk).filter(delivered_at__isnull=False).exists()
    templated = attempt.channel == Channel.PNP and notification.template_version.is_line_template
    counts = delivered_counts(
        brand_id=notification.brand_id, channel=attempt.channel, at=at, sent_at=attempt.sent_at, templated=templated
    )
    fields: dict[str, Any] = {"fallback_due_at": None, "expires_at": None}
    if notification.status == NotificationStatus.DELIVERED or other_delivered:
        if not notification.delivered_twice:
            fields["delivered_twice"] = True
            counts[(notification.brand_id, at, attempt.channel, Metric.DELIVERED_TWICE)] += 1
            timeline_add(
                notification,
                EventKind.DELIVERED_TWICE,
                text("delivered_twice.channel", channel=attempt.channel),
                attempt,
            )
    if notification.status != NotificationStatus.DELIVERED:
        fields |= delivered_fields(channel=attempt.channel, at=at)
        timeline_add_many(
            [delivered_event(notification_id=notification.pk, attempt_id=attempt.pk, channel=attempt.channel)]
        )
    notification_write(notification, fields)
    stats_add(counts)
