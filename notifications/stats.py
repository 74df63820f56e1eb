"""Hourly delivery counts: added with each state change, recomputable from raw attempts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from django.db import connection, transaction

from notifications.choices import AttemptStatus, Channel, Metric, WebhookEventResult
from notifications.models import Attempt, DeliveryStat, Notification, WebhookEvent

# Upper bounds (seconds) of the send-to-delivery histogram; a sum alone gives only a mean,
# these counts give the median (and any percentile) to the bucket.
LATENCY_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
LATENCY_OVERFLOW = "lat_gt_86400"
LATENCY_METRICS = (*(f"lat_le_{bound}" for bound in LATENCY_BUCKETS), LATENCY_OVERFLOW)


def latency_bucket(seconds: int) -> str:
    """Return the histogram metric a send-to-delivery time falls in."""
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return f"lat_le_{bound}"
    return LATENCY_OVERFLOW


def hour_of(at: datetime) -> datetime:
    """Return the UTC hour an instant falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def stats_add(counts: Counter[tuple[int, datetime, str, str]]) -> None:
    """Add counts keyed by (brand id, instant, channel, metric); call inside the change's transaction."""
    if not counts:
        return
    rows: dict[tuple[int, datetime, str, str], int] = Counter()
    for (brand_id, at, channel, metric), n in counts.items():
        if n:
            rows[(brand_id, hour_of(at), channel, metric)] += n
    table = DeliveryStat._meta.db_table
    # The table name is the model's own, never user input.
    insert = f"INSERT INTO {table} (brand_id, hour, channel, metric, count) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    sql = f"{insert} ON CONFLICT (brand_id, hour, channel, metric) DO UPDATE SET count = {table}.count + excluded.count"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*key, n) for key, n in sorted(rows.items(), key=lambda kv: kv[0])])


def stat_add(*, brand_id: int, at: datetime, channel: str, metric: str, n: int = 1) -> None:
    """Add one count; call inside the change's transaction."""
    stats_add(Counter({(brand_id, at, channel, metric): n}))


def expected_counts(*, brand_id: int | None = None) -> Counter[tuple[int, datetime, str, str]]:
    """Recompute every hourly count from the raw notifications and attempts."""
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    notifications = Notification.objects.all()
    attempts = Attempt.objects.select_related("notification__template_version")
    if brand_id is not None:
        notifications = notifications.filter(brand_id=brand_id)
        attempts = attempts.filter(notification__brand_id=brand_id)
    for brand, created_at, plan in notifications.values_list("brand_id", "created_at", "channel_plan").iterator():
        counts[(brand, hour_of(created_at), plan[0] if plan else "", Metric.ACCEPTED)] += 1
    for attempt in attempts.iterator():
        brand = attempt.notification.brand_id
        if attempt.accepted_at:
            counts[(brand, hour_of(attempt.accepted_at), attempt.channel, Metric.SENT)] += 1
            if attempt.channel == Channel.SMS and attempt.sms_segments:
                counts[(brand, hour_of(attempt.accepted_at), Channel.SMS, Metric.SMS_SEGMENTS)] += attempt.sms_segments
        if attempt.delivered_at:
            counts[(brand, hour_of(attempt.delivered_at), attempt.channel, Metric.DELIVERED)] += 1
            if attempt.channel == Channel.PNP:
                sent = attempt.sent_at or attempt.delivered_at
                templated = attempt.notification.template_version.is_line_template
                by_send = Metric.TEMPLATED_DELIVERED_BY_SEND if templated else Metric.DELIVERED_BY_SEND
                counts[(brand, hour_of(sent), Channel.PNP, by_send)] += 1
            latency = 0
            if attempt.sent_at:
                latency = max(0, int((attempt.delivered_at - attempt.sent_at).total_seconds()))
                counts[(brand, hour_of(attempt.delivered_at), attempt.channel, Metric.LATENCY_SECONDS)] += latency
            counts[(brand, hour_of(attempt.delivered_at), attempt.channel, latency_bucket(latency))] += 1
        if attempt.status == AttemptStatus.REFUSED and attempt.answered_at:
            counts[(brand, hour_of(attempt.answered_at), attempt.channel, Metric.REFUSED_422)] += 1
        if attempt.status == AttemptStatus.EXPIRED and attempt.answered_at:
            counts[(brand, hour_of(attempt.answered_at), attempt.channel, Metric.EXPIRED)] += 1
    follows = WebhookEvent.objects.filter(event_type__in=("follow", "unfollow"), result=WebhookEventResult.APPLIED)
    if brand_id is not None:
        follows = follows.filter(brand_id=brand_id)
    for brand, event_type, occurred_at in follows.values_list("brand_id", "event_type", "occurred_at").iterator():
        metric = Metric.FOLLOW if event_type == "follow" else Metric.UNFOLLOW
        counts[(brand, hour_of(occurred_at), Channel.LINE_PUSH, metric)] += 1
    return Counter({key: n for key, n in counts.items() if n})


def stored_counts(
    *, brand_id: int | None = None, metrics: tuple[str, ...] | None = None
) -> Counter[tuple[int, datetime, str, str]]:
    """Return the stored hourly counts in the same shape as :func:`expected_counts`."""
    queryset = DeliveryStat.objects.exclude(count=0)
    if brand_id is not None:
        queryset = queryset.filter(brand_id=brand_id)
    if metrics is not None:
        queryset = queryset.filter(metric__in=metrics)
    return Counter(
        {(b, h, c, m): n for b, h, c, m, n in queryset.values_list("brand_id", "hour", "channel", "metric", "count")}
    )


RECOMPUTABLE = (
    Metric.ACCEPTED,
    Metric.SENT,
    Metric.DELIVERED,
    Metric.DELIVERED_BY_SEND,
    Metric.TEMPLATED_DELIVERED_BY_SEND,
    Metric.REFUSED_422,
    Metric.EXPIRED,
    Metric.SMS_SEGMENTS,
    Metric.LATENCY_SECONDS,
    *LATENCY_METRICS,
    Metric.FOLLOW,
    Metric.UNFOLLOW,
)


@transaction.atomic
def recompute(*, brand_id: int | None = None) -> None:
    """Replace the recomputable counts with figures recomputed from raw rows (repair tool)."""
    queryset = DeliveryStat.objects.filter(metric__in=RECOMPUTABLE)
    if brand_id is not None:
        queryset = queryset.filter(brand_id=brand_id)
    queryset.delete()
    stats_add(expected_counts(brand_id=brand_id))
