"""LINE's webhook events and SMS delivery reports: stored first, applied here (delivery, follow, unfollow)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from compliance.choices import TemplateKind
from integrations.sms import (
    SmsDeliveryReport,
)
from members.services import line_link_update
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus, WebhookEventResult
from notifications.hooks import apply_event, handles
from notifications.models import Attempt, Notification, WebhookEvent
from notifications.services.outcomes import delivery_record, notification_finish
from notifications.services.states import (
    Counts,
    Fields,
    delivered_counts,
    delivered_event,
    delivered_fields,
    notification_write,
    notifications_write_rows,
    timeline_add,
    timeline_add_many,
)
from notifications.stats import stat_add, stats_add
from notifications.texts import Text, external, text
from portal.db import bulk_set, bulk_set_rows

logger = logging.getLogger(__name__)


@handles("delivery")
def delivery_event_apply(event: WebhookEvent) -> tuple[str, Text]:
    """A PNP reached the member: match it by its delivery tag and record the delivery once."""
    tag = str((event.payload.get("delivery") or {}).get("data", ""))
    attempt = (
        Attempt.objects.select_related("notification")
        .filter(reference=tag, channel=Channel.PNP, notification__brand_id=event.brand_id)
        .first()
    )
    if attempt is None:
        return WebhookEventResult.UNMATCHED, text("webhook.unmatched", tag=tag[:40])
    notification = Notification.objects.select_for_update().get(pk=attempt.notification_id)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.delivered_at is not None:
        # A second delivery event for one tag: LINE delivered the same request twice.
        if not notification.delivered_twice:
            notification_write(notification, {"delivered_twice": True})
            stat_add(
                brand_id=notification.brand_id, at=event.occurred_at, channel=Channel.PNP, metric=Metric.DELIVERED_TWICE
            )
            timeline_add(notification, EventKind.DELIVERED_TWICE, text("delivered_twice.event"), attempt)
        return WebhookEventResult.DUPLICATE, text("webhook.duplicate", tag=tag[:40])
    if attempt.status == AttemptStatus.EXPIRED and attempt.answered_at is not None:
        # The 24-hour inference was wrong: take back the "expired" count it added.
        stat_add(
            brand_id=notification.brand_id, at=attempt.answered_at, channel=Channel.PNP, metric=Metric.EXPIRED, n=-1
        )
    attempt.status, attempt.delivered_at = AttemptStatus.DELIVERED, event.occurred_at
    attempt.save(update_fields=["status", "delivered_at"])
    delivery_record(notification, attempt, event.occurred_at)
    return WebhookEventResult.APPLIED, text("webhook.delivered", id=notification.pk)


@handles("follow")
def follow_event_apply(event: WebhookEvent) -> tuple[str, Text]:
    """A LINE user added the OA as a friend (or unblocked it)."""
    uid = str((event.payload.get("source") or {}).get("userId", ""))
    if not uid:
        return WebhookEventResult.IGNORED, text("webhook.follow_no_user")
    line_link_update(brand=event.brand, uid=uid, is_friend=True, is_blocked=False, actor="line:webhook")
    # For billing's dashboard (the OA's block rate).
    stat_add(brand_id=event.brand_id, at=event.occurred_at, channel=Channel.LINE_PUSH, metric=Metric.FOLLOW)
    return WebhookEventResult.APPLIED, text("webhook.follows", uid=uid[:8])


@handles("unfollow")
def unfollow_event_apply(event: WebhookEvent) -> tuple[str, Text]:
    """A LINE user blocked the OA."""
    uid = str((event.payload.get("source") or {}).get("userId", ""))
    if not uid:
        return WebhookEventResult.IGNORED, text("webhook.unfollow_no_user")
    line_link_update(brand=event.brand, uid=uid, is_friend=False, is_blocked=True, actor="line:webhook")
    # For billing's dashboard (the OA's block rate).
    stat_add(brand_id=event.brand_id, at=event.occurred_at, channel=Channel.LINE_PUSH, metric=Metric.UNFOLLOW)
    return WebhookEventResult.APPLIED, text("webhook.blocked", uid=uid[:8])


def sms_report_apply(*, vendor: str, reference: str, report: SmsDeliveryReport) -> bool:
    """Record an SMS vendor's delivery report for the attempt with this reference; False if unknown."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .filter(reference=reference, channel=Channel.SMS, vendor_message_id=report.message_id)
            .first()
        )
        if attempt is None:
            return False
        if attempt.status in (AttemptStatus.DELIVERED, AttemptStatus.FAILED) or not report.final:
            return True  # already final, or an intermediate state: nothing to record
        notification = Notification.objects.select_for_update().get(pk=attempt.notification_id)
        now = timezone.now()
        if report.delivered:
            attempt.status, attempt.delivered_at = AttemptStatus.DELIVERED, now
            attempt.save(update_fields=["status", "delivered_at"])
            timeline_add(notification, EventKind.SMS_DELIVERED, external(report.status), attempt)
            delivery_record(notification, attempt, now)
        else:
            attempt.status, attempt.answered_at, attempt.error = AttemptStatus.FAILED, now, f"SMS {report.status}"
            attempt.save(update_fields=["status", "answered_at", "error"])
            timeline_add(notification, EventKind.SMS_FAILED, external(report.status), attempt)
            if notification.status != NotificationStatus.DELIVERED:
                notification_finish(
                    notification, NotificationStatus.FAILED, text("final.sms_not_delivered", s=report.status)
                )
        return True


# --- Webhook inbox ---------------------------------------------------------------------------------------


# One drain queued or running at a time per burst of webhook requests (the receiver claims it).
# The key is normally released by the drain itself; its life only bounds how long a drain lost
# with its worker can hold it (the beat timer drains meanwhile).
DRAIN_KEY = "notifications:webhook-drain-scheduled"
DRAIN_KEY_SECONDS = 10


def webhook_drain_claim() -> bool:
    """True when no drain is queued or running: the caller enqueues one (the receiver, after storing)."""
    return bool(cache.add(DRAIN_KEY, 1, timeout=DRAIN_KEY_SECONDS))


def webhook_drain_release() -> None:
    """Give the claim back without draining (its drain could not be enqueued): the next receiver claims."""
    cache.delete(DRAIN_KEY)


def webhook_events_drain_and_release() -> int:
    """Drain, release the claim, then look once more: an event stored while the claim was held is applied.

    A receiver that found the claim held stored its events before it looked, so they are
    visible to the look made after the release; a receiver that comes after the release
    claims and enqueues a drain of its own. Rows another drain has locked are that drain's.
    """
    processed = 0
    while True:
        processed += webhook_events_drain()
        cache.delete(DRAIN_KEY)
        late = webhook_events_drain()
        processed += late
        if not late:
            return processed
        cache.add(DRAIN_KEY, 1, timeout=DRAIN_KEY_SECONDS)


def webhook_events_drain(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Apply stored, unprocessed webhook events in arrival order; return how many were processed.

    Several workers may drain at once: each batch is claimed with SKIP LOCKED on PostgreSQL.
    The common delivery events of a batch are applied together (:func:`_deliveries_apply`);
    every other event, one by one with its type's handler.
    """
    processed = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            queryset = WebhookEvent.objects.filter(processed_at__isnull=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                queryset = queryset.select_for_update(skip_locked=True)
            batch = list(queryset[:batch_size])
            if not batch:
                break
            prefetch_related_objects(batch, "brand")  # a brand or two per batch, read once
            results = _deliveries_apply_or_none([event for event in batch if event.event_type == "delivery"])
            for event in batch:
                detail: Text
                if event.pk in results:
                    result, detail = results[event.pk]
                else:
                    try:
                        with transaction.atomic():
                            result, detail = apply_event(event)
                    except Exception as exc:  # one bad event must not block the others
                        logger.exception("webhook event %s failed", event.event_id)
                        result, detail = WebhookEventResult.FAILED, external(f"{type(exc).__name__}: {exc}"[:200])
                event.result, event.processed_at = result, timezone.now()
                event.detail, event.detail_code, event.detail_params = detail.english(200), detail.code, detail.params
            bulk_set(batch, ["result", "detail", "detail_code", "detail_params", "processed_at"])
            processed += len(batch)
    return processed


def _delivery_tag(event: WebhookEvent) -> str:
    return str((event.payload.get("delivery") or {}).get("data", ""))


def _deliveries_apply_or_none(events: list[WebhookEvent]) -> dict[int, tuple[str, Text]]:
    """Apply plain deliveries together; if that fails, leave every event to its own handler."""
    try:
        with transaction.atomic():
            return _deliveries_apply(events)
    except Exception:  # e.g. a malformed payload: the handlers mark that one event failed
        logger.exception("delivery events could not be applied together; applying them one by one")
        return {}


def _deliveries_apply(events: list[WebhookEvent]) -> dict[int, tuple[str, Text]]:
    """Apply the batch's plain deliveries together; return the result of each event it settled.

    Plain: the first event for a PNP that is neither delivered nor expired, of a notification
    no channel has delivered yet. Those are the same few writes each, done for all at once;
    every other delivery event (a second one, a late one after the 24-hour inference or after
    an SMS) is left to :func:`delivery_event_apply`, which runs after this.
    """
    if not events:
        return {}
    tags = {_delivery_tag(event) for event in events}
    found = list(
        Attempt.objects.filter(reference__any_of=tags, channel=Channel.PNP).values_list("pk", "notification_id")
    )
    # Locked in the order every other writer uses: notifications, then their attempts. Read as
    # tuples, only the columns needed to settle: hundreds of model instances cost more than the writes.
    # The template version's kind comes along (a LINE template's PNP is counted apart); only the
    # notifications are locked, never the versions.
    notifications: dict[int, tuple[int, str, str]] = {
        pk: (brand_id, status, kind)
        for pk, brand_id, status, kind in Notification.objects.select_for_update(of=("self",))
        .filter(pk__any_of={notification_id for _pk, notification_id in found})
        .order_by("pk")
        .values_list("pk", "brand_id", "status", "template_version__kind")
    }
    by_tag: dict[str, tuple[int, int, str, datetime | None, datetime | None]] = {
        reference: (pk, notification_id, status, sent_at, delivered_at)
        for reference, pk, notification_id, status, sent_at, delivered_at in Attempt.objects.select_for_update()
        .filter(pk__any_of=[pk for pk, _notification_id in found])
        .order_by("pk")
        .values_list("reference", "pk", "notification_id", "status", "sent_at", "delivered_at")
    }
    delivered_before = set(
        Attempt.objects.filter(notification_id__any_of=list(notifications), delivered_at__isnull=False).values_list(
            "notification_id", flat=True
        )
    )
    now = timezone.now()
    results: dict[int, tuple[str, Text]] = {}
    settled: list[tuple[int, int, str, Fields]] = []  # notification, attempt, status as read, what it becomes
    counts: Counts = Counter()
    for event in events:
        tag = _delivery_tag(event)
        attempt = by_tag.get(tag)
        notification = notifications.get(attempt[1]) if attempt is not None else None
        if attempt is None or notification is None or notification[0] != event.brand_id:
            results[event.pk] = (WebhookEventResult.UNMATCHED, text("webhook.unmatched", tag=tag[:40]))
            continue
        attempt_id, notification_id, attempt_status, sent_at, delivered_at = attempt
        brand_id, status, kind = notification
        if (
            delivered_at is not None
            or attempt_status == AttemptStatus.EXPIRED
            or status == NotificationStatus.DELIVERED
            or notification_id in delivered_before
        ):
            continue  # not plain: its own handler decides
        at = event.occurred_at
        delivered_before.add(notification_id)  # a second event for it in this batch is not plain
        settled.append((notification_id, attempt_id, status, delivered_fields(channel=Channel.PNP, at=at)))
        templated = kind == TemplateKind.LINE_TEMPLATE
        counts.update(
            delivered_counts(brand_id=brand_id, channel=Channel.PNP, at=at, sent_at=sent_at, templated=templated)
        )
        results[event.pk] = (WebhookEventResult.APPLIED, text("webhook.delivered", id=notification_id))
    if settled:
        notifications_write_rows([(n, status, fields) for n, _a, status, fields in settled], at=now)
        bulk_set_rows(
            Attempt,
            ["status", "delivered_at"],
            [(a, str(AttemptStatus.DELIVERED), fields["delivered_at"]) for _n, a, _s, fields in settled],
        )
        timeline_add_many(
            [delivered_event(notification_id=n, attempt_id=a, channel=Channel.PNP) for n, a, _s, _f in settled]
        )
        stats_add(counts)
    return results
