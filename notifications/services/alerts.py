"""Delivery alerts: a brand's delivery rate, 422 share, block rate and SMS failure rate, watched.

Beat runs :func:`alerts_evaluate` every ten minutes. Each figure is computed from the hourly
rollups (``DeliveryStat``) over two windows, the last full hour and the last 24 full hours,
and compared with its threshold (the brand's own, else the setting's default). A figure that
crosses opens one :class:`~notifications.models.AlertCrossing` and e-mails the brand's account
managers once; while it stays crossed nothing more is sent; once it is back, the crossing is
closed, and the next crossing is a new one. A window with fewer messages than
``NOTIFICATION_ALERT_MIN_VOLUME`` is not judged (three refusals of ten say nothing).

The figures are the dashboard's own definitions (``billing.selectors.DashboardFigures``):

* delivery rate: notifications delivered (twice counted once) per notification accepted;
* 422 share: PNP refused with 422 per PNP tried (sent or refused);
* block rate: blocks of the official account (unfollow events) per LINE message delivered;
* SMS failure rate: SMS notifications failed per SMS sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.choices import ALERT_LOW_IS_BAD, AlertKind, AlertWindow, Channel, Metric
from notifications.models import AlertCrossing, BrandAlertThresholds, DeliveryStat
from portal.actors import Actor
from portal.models import Brand
from portal.services import audit_record

WINDOW_HOURS = {AlertWindow.HOUR: 1, AlertWindow.DAY: 24}
THRESHOLD_FIELDS: dict[str, str] = {
    AlertKind.DELIVERY_RATE: "delivery_rate_min",
    AlertKind.REFUSED_422_SHARE: "refused_422_share_max",
    AlertKind.BLOCK_RATE: "block_rate_max",
    AlertKind.SMS_FAILURE_RATE: "sms_failure_rate_max",
}
DEFAULT_SETTINGS: dict[str, str] = {
    AlertKind.DELIVERY_RATE: "NOTIFICATION_ALERT_DELIVERY_RATE_MIN",
    AlertKind.REFUSED_422_SHARE: "NOTIFICATION_ALERT_REFUSED_422_SHARE_MAX",
    AlertKind.BLOCK_RATE: "NOTIFICATION_ALERT_BLOCK_RATE_MAX",
    AlertKind.SMS_FAILURE_RATE: "NOTIFICATION_ALERT_SMS_FAILURE_RATE_MAX",
}


@dataclass(frozen=True)
class Reading:
    """One figure of one brand over one window: the share, and how many messages it is a share of."""

    kind: str
    value: Decimal | None  # None: nothing to divide by
    volume: int


def alert_readings(totals: dict[tuple[str, str], int]) -> list[Reading]:
    """The four figures from one window's sums by (channel, metric)."""

    def total(metric: str, channel: str | None = None) -> int:
        return sum(n for (c, m), n in totals.items() if m == metric and (channel is None or c == channel))

    def share(part: int, whole: int) -> Decimal | None:
        return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else None

    accepted = total(Metric.ACCEPTED)
    delivered = max(0, total(Metric.DELIVERED) - total(Metric.DELIVERED_TWICE))
    refused = total(Metric.REFUSED_422, Channel.PNP)
    tried = total(Metric.SENT, Channel.PNP) + refused
    line_delivered = total(Metric.DELIVERED, Channel.PNP) + total(Metric.DELIVERED, Channel.LINE_PUSH)
    blocks = total(Metric.UNFOLLOW, Channel.LINE_PUSH)
    sms_sent, sms_failed = total(Metric.SENT, Channel.SMS), total(Metric.FAILED, Channel.SMS)
    return [
        Reading(AlertKind.DELIVERY_RATE, min(share(delivered, accepted) or Decimal(0), Decimal(1)), accepted)
        if accepted
        else Reading(AlertKind.DELIVERY_RATE, None, 0),
        Reading(AlertKind.REFUSED_422_SHARE, share(refused, tried), tried),
        Reading(AlertKind.BLOCK_RATE, share(blocks, line_delivered), line_delivered),
        # a refusal by the vendor fails an SMS that was never counted sent: the whole is the larger
        Reading(AlertKind.SMS_FAILURE_RATE, share(sms_failed, max(sms_sent, sms_failed)), max(sms_sent, sms_failed)),
    ]


def alert_threshold(kind: str, thresholds: BrandAlertThresholds | None) -> Decimal:
    """The brand's own threshold for a figure, else the portal's default."""
    own = getattr(thresholds, THRESHOLD_FIELDS[kind], None) if thresholds is not None else None
    if own is not None:
        return Decimal(own)
    return Decimal(str(getattr(settings, DEFAULT_SETTINGS[kind]))).quantize(Decimal("0.001"))


def is_crossed(kind: str, value: Decimal, threshold: Decimal) -> bool:
    return value < threshold if kind in ALERT_LOW_IS_BAD else value > threshold


def _window_totals(start: datetime, end: datetime) -> dict[int, dict[tuple[str, str], int]]:
    rows = (
        DeliveryStat.objects.filter(hour__gte=start, hour__lt=end)
        .values_list("brand_id", "channel", "metric")
        .annotate(n=Sum("count"))
    )
    totals: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for brand_id, channel, metric, n in rows:
        totals[brand_id][(channel, metric)] = int(n or 0)
    return totals


def alerts_evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """Open a crossing (and e-mail) for each figure newly past its threshold, close those back; return counts."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0)
    minimum = settings.NOTIFICATION_ALERT_MIN_VOLUME
    thresholds = {t.brand_id: t for t in BrandAlertThresholds.objects.all()}
    open_crossings = {(c.brand_id, c.kind, c.window): c for c in AlertCrossing.objects.filter(closed_at__isnull=True)}
    brands = {b.pk: b for b in Brand.objects.filter(is_active=True)}
    opened = closed = 0
    for window, hours in WINDOW_HOURS.items():
        start = end - timedelta(hours=hours)
        for brand_id, totals in _window_totals(start, end).items():
            brand = brands.get(brand_id)
            if brand is None:
                continue
            for reading in alert_readings(totals):
                key = (brand_id, reading.kind, window)
                current = open_crossings.pop(key, None)
                if reading.value is None or reading.volume < minimum:
                    if current is not None:
                        open_crossings[key] = current  # too little to judge: neither opened nor closed
                    continue
                threshold = alert_threshold(reading.kind, thresholds.get(brand_id))
                crossed = is_crossed(reading.kind, reading.value, threshold)
                if crossed and current is None:
                    if alert_open(brand, reading, window, threshold, start, end, now) is not None:
                        opened += 1
                elif not crossed and current is not None:
                    AlertCrossing.objects.filter(pk=current.pk, closed_at__isnull=True).update(closed_at=now)
                    closed += 1
    # A figure with no traffic at all in its window is back to nothing: its crossing closes.
    for crossing in open_crossings.values():
        start = end - timedelta(hours=WINDOW_HOURS[AlertWindow(crossing.window)])
        if not DeliveryStat.objects.filter(brand_id=crossing.brand_id, hour__gte=start, hour__lt=end).exists():
            AlertCrossing.objects.filter(pk=crossing.pk, closed_at__isnull=True).update(closed_at=now)
            closed += 1
    return {"opened": opened, "closed": closed}


def alert_open(
    brand: Brand,
    reading: Reading,
    window: str,
    threshold: Decimal,
    start: datetime,
    end: datetime,
    now: datetime,
) -> AlertCrossing | None:
    """Record a crossing and e-mail the brand's account managers; None when one is already open."""
    assert reading.value is not None
    try:
        with transaction.atomic():
            crossing = AlertCrossing.objects.create(
                brand=brand,
                kind=reading.kind,
                window=window,
                value=reading.value,
                threshold=threshold,
                volume=reading.volume,
                window_start=start,
                window_end=end,
                opened_at=now,
            )
    except IntegrityError:  # another evaluation opened it first: it told the managers
        return None
    crossing.notified = alert_email(crossing)
    AlertCrossing.objects.filter(pk=crossing.pk).update(notified=crossing.notified)
    return crossing


def alert_email(crossing: AlertCrossing) -> int:
    """E-mail the crossing to the brand's active account managers, in both languages; return how many."""
    managers = list(
        get_user_model()
        .objects.filter(managed_brands=crossing.brand, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not managers:
        return 0
    context: dict[str, Any] = {"crossing": crossing, "portal_url": settings.PORTAL_BASE_URL}
    parts, subjects = [], []
    for language in ("zh-hant", "en"):
        with translation.override(language):
            parts.append(render_to_string("notifications/email/alert.txt", context).strip())
            subjects.append(render_to_string("notifications/email/alert_subject.txt", context).strip())
    send_mail(
        subject=" / ".join(subjects),
        message="\n\n----------\n\n".join(parts) + "\n",
        from_email=None,
        recipient_list=managers,
    )
    return len(managers)


def alert_thresholds_set(*, brand: Brand, actor: Actor, values: dict[str, Decimal | None]) -> BrandAlertThresholds:
    """Set a brand's own thresholds (None: the default), audited with the old and new values."""
    unknown = set(values) - set(THRESHOLD_FIELDS.values())
    if unknown:
        raise ValueError(f"unknown alert threshold field(s): {sorted(unknown)}")
    with transaction.atomic():
        thresholds, _created = BrandAlertThresholds.objects.select_for_update().get_or_create(brand=brand)
        before = {name: _text(getattr(thresholds, name)) for name in values}
        for name, value in values.items():
            setattr(thresholds, name, value)
        thresholds.full_clean()
        thresholds.save()
        audit_record(
            actor=actor,
            action="notifications.alert_thresholds_set",
            obj=thresholds,
            brand=brand,
            data={"before": before, "after": {name: _text(value) for name, value in values.items()}},
        )
    return thresholds


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
