"""Reads about sends: the figures other apps judge templates and brands by."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q

from compliance.hooks import TemplateSendStats
from notifications.choices import Channel
from notifications.models import Attempt, Notification, WebhookEvent

BLOCK_WINDOW = timedelta(hours=24)


def template_send_stats(since: datetime) -> list[TemplateSendStats]:
    """Per template version since a moment: sends, SMS fallbacks, and blocks within 24 h of a LINE delivery.

    The compliance quality review reads it: registered in ``NotificationsConfig.ready()``.
    """
    sms_after_line = Attempt.objects.filter(notification=OuterRef("pk"), channel=Channel.SMS)
    counts = (
        Notification.objects.filter(created_at__gte=since)
        .annotate(fell_back=Exists(sms_after_line))
        .values("template_version_id")
        .annotate(
            sends=Count("id"),
            sms_fallbacks=Count("id", filter=Q(fell_back=True) & ~Q(channel_plan__0=Channel.SMS)),
        )
    )
    stats = {row["template_version_id"]: [row["sends"], row["sms_fallbacks"], 0, 0] for row in counts}

    # Deliveries by LINE to members whose LINE user id is known, then unfollows within 24 h.
    delivered = (
        Notification.objects.filter(
            created_at__gte=since, delivered_channel__in=[Channel.PNP, Channel.LINE_PUSH], delivered_at__isnull=False
        )
        .exclude(member__line_link__uid="")
        .filter(member__line_link__isnull=False)
        .values_list("template_version_id", "brand_id", "member__line_link__uid", "delivered_at")
    )
    by_brand: dict[int, list[tuple[int, str, datetime]]] = defaultdict(list)
    for version_id, brand_id, uid, delivered_at in delivered.iterator():
        if delivered_at is not None:
            by_brand[brand_id].append((version_id, uid, delivered_at))
    for brand_id, rows in by_brand.items():
        unfollows: dict[str, list[datetime]] = defaultdict(list)
        events = WebhookEvent.objects.filter(brand_id=brand_id, event_type="unfollow", occurred_at__gte=since)
        for payload, occurred_at in events.values_list("payload", "occurred_at").iterator():
            unfollows[str((payload.get("source") or {}).get("userId", ""))].append(occurred_at)
        for version_id, uid, delivered_at in rows:
            entry = stats.setdefault(version_id, [0, 0, 0, 0])
            entry[2] += 1
            if any(delivered_at <= at <= delivered_at + BLOCK_WINDOW for at in unfollows.get(uid, ())):
                entry[3] += 1
    return [
        TemplateSendStats(
            version_id=version_id, sends=s, sms_fallbacks=f, line_deliveries_known_uid=d, blocked_within_24h=b
        )
        for version_id, (s, f, d, b) in sorted(stats.items())
    ]
