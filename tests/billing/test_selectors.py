"""The dashboard's figures from rollups, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from billing.selectors import dashboard_figures
from notifications.choices import Channel, Metric
from notifications.stats import latency_bucket, stat_add
from portal.models import Brand
from tests.billing.conftest import taipei


def add(brand: Brand, at: str, channel: str, metric: str, n: int) -> None:
    stat_add(brand_id=brand.pk, at=taipei(at), channel=channel, metric=metric, n=n)


def test_the_dashboard_figures_for_one_brand_and_one_week(brand: Brand, sms_price: Decimal) -> None:
    # given: 100 accepted; 90 PNP tried, 10 refused (422), 70 delivered; 20 fell back to SMS, 18 delivered
    add(brand, "2026-01-05 10:00", Channel.PNP, Metric.ACCEPTED, 100)
    add(brand, "2026-01-05 10:00", Channel.PNP, Metric.SENT, 80)
    add(brand, "2026-01-05 10:00", Channel.PNP, Metric.REFUSED_422, 10)
    add(brand, "2026-01-05 10:05", Channel.PNP, Metric.DELIVERED, 70)
    add(brand, "2026-01-05 12:00", Channel.PNP, Metric.SMS_FALLBACK, 20)
    add(brand, "2026-01-05 12:00", Channel.SMS, Metric.SENT, 20)
    add(brand, "2026-01-05 12:00", Channel.SMS, Metric.SMS_SEGMENTS, 30)
    add(brand, "2026-01-05 12:01", Channel.SMS, Metric.DELIVERED, 18)
    add(brand, "2026-01-05 12:01", Channel.SMS, Metric.FAILED, 2)
    add(brand, "2026-01-05 12:30", Channel.SMS, Metric.DELIVERED_TWICE, 3)
    # latencies: 40 within 10 s, 30 within 60 s, 18 within 2 min → 88 in all, the 44th is in "≤ 60 s"
    add(brand, "2026-01-05 10:05", Channel.PNP, latency_bucket(4), 40)
    add(brand, "2026-01-05 10:05", Channel.PNP, latency_bucket(45), 30)
    add(brand, "2026-01-05 12:01", Channel.SMS, latency_bucket(100), 18)
    add(brand, "2026-01-06 09:00", Channel.LINE_PUSH, Metric.UNFOLLOW, 7)
    add(brand, "2026-01-06 09:00", Channel.LINE_PUSH, Metric.FOLLOW, 11)
    add(brand, "2026-01-20 09:00", Channel.PNP, Metric.DELIVERED, 500)  # outside the week

    # when
    with translation.override("en"):
        figures = dashboard_figures(brands=[brand], first=date(2026, 1, 5), last=date(2026, 1, 11))

    # then
    assert figures.accepted == 100
    assert figures.delivered_notifications == 70 + 18 - 3
    assert figures.delivery_rate == 0.85
    assert figures.fallback_rate == 0.2
    assert figures.not_on_line_share == 10 / 90
    assert figures.block_rate == 7 / 70
    assert figures.median_bucket == "≤ 60 s"
    assert figures.pnp_cost == Decimal("14.0")  # 70 × 0.2
    assert figures.sms_cost == Decimal("25.5")  # 30 segments × 0.85
    assert figures.all_sms_cost == Decimal("72.25")  # 85 notifications × 0.85
    assert figures.saving == Decimal("32.75")
    assert figures.delivered_by_day["pnp"][0] == 70 and sum(figures.delivered_by_day["pnp"]) == 70
    assert dict(figures.failures) == {
        "PNP: Not on LINE / PNP off (422)": 10,
        "SMS: Failed": 2,
    }


def test_the_dashboard_across_brands_adds_them_and_lists_each(brand: Brand, other_brand: Brand) -> None:
    add(brand, "2026-01-05 10:00", Channel.PNP, Metric.ACCEPTED, 4)
    add(other_brand, "2026-01-05 23:30", Channel.PNP, Metric.ACCEPTED, 6)
    add(other_brand, "2026-01-11 23:59", Channel.PNP, Metric.ACCEPTED, 1)  # last Taiwan hour of the span
    add(other_brand, "2026-01-12 00:00", Channel.PNP, Metric.ACCEPTED, 100)  # the day after
    figures = dashboard_figures(brands=[brand, other_brand], first=date(2026, 1, 5), last=date(2026, 1, 11))
    assert figures.accepted == 11
    assert [(row["brand"], row["accepted"]) for row in figures.per_brand] == [(brand, 4), (other_brand, 7)]
