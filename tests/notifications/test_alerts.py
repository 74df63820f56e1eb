"""Delivery alerts: a brand's figures over the last hour and day against its thresholds, told once per crossing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from notifications.choices import AlertKind, AlertWindow, Channel, Metric
from notifications.models import AlertCrossing, BrandAlertThresholds
from notifications.services import alert_thresholds_set, alerts_evaluate
from notifications.services.alerts import alert_readings
from notifications.stats import stat_add
from portal.models import AuditEvent, Brand
from tests.conftest import PASSWORD

TAIPEI = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 12, 2, 10, 5, tzinfo=TAIPEI)  # the last full hour is 09:00–10:00 Taiwan time
LAST_HOUR = datetime(2026, 12, 2, 9, 0, tzinfo=TAIPEI)
EARLIER = datetime(2026, 12, 1, 20, 0, tzinfo=TAIPEI)  # inside the last 24 hours, outside the last hour


def traffic(brand: Brand, at: datetime, *, accepted: int, delivered: int, channel: str = Channel.PNP) -> None:
    stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.ACCEPTED, n=accepted)
    stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.SENT, n=accepted)
    stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.DELIVERED, n=delivered)


@pytest.fixture
def manager_mail(manager: User) -> User:
    manager.email = "am@example.com"
    manager.save(update_fields=["email"])
    return manager


def test_the_figures_are_the_dashboards_definitions() -> None:
    readings = {
        r.kind: r
        for r in alert_readings(
            {
                (Channel.PNP, Metric.ACCEPTED): 200,
                (Channel.PNP, Metric.SENT): 150,
                (Channel.PNP, Metric.REFUSED_422): 50,
                (Channel.PNP, Metric.DELIVERED): 100,
                (Channel.LINE_PUSH, Metric.DELIVERED): 40,
                (Channel.SMS, Metric.DELIVERED): 41,
                (Channel.PNP, Metric.DELIVERED_TWICE): 1,
                (Channel.LINE_PUSH, Metric.UNFOLLOW): 7,
                (Channel.SMS, Metric.SENT): 50,
                (Channel.SMS, Metric.FAILED): 9,
            }
        )
    }
    # delivered once: 100 + 40 + 41 - 1 = 180 of 200 accepted
    assert (readings[AlertKind.DELIVERY_RATE].value, readings[AlertKind.DELIVERY_RATE].volume) == (Decimal("0.9"), 200)
    # refused 50 of 150 sent + 50 refused
    assert readings[AlertKind.REFUSED_422_SHARE].value == Decimal("0.25")
    # 7 blocks per 100 PNP + 40 pushes delivered on LINE
    assert readings[AlertKind.BLOCK_RATE].value == Decimal("0.05")
    assert (readings[AlertKind.SMS_FAILURE_RATE].value, readings[AlertKind.SMS_FAILURE_RATE].volume) == (
        Decimal("0.18"),
        50,
    )


def test_a_falling_delivery_rate_tells_the_brands_account_managers_once_per_crossing(
    brand: Brand, other_brand: Brand, manager_mail: User, other_manager: User
) -> None:
    other_manager.email = "other@example.com"
    other_manager.save(update_fields=["email"])
    traffic(brand, LAST_HOUR, accepted=100, delivered=80)  # 80 % < 90 %
    traffic(other_brand, LAST_HOUR, accepted=100, delivered=99)

    assert alerts_evaluate(now=NOW) == {"opened": 2, "closed": 0}  # the hour and the day of one brand

    crossings = AlertCrossing.objects.filter(brand=brand, kind=AlertKind.DELIVERY_RATE)
    assert sorted(crossings.values_list("window", "value", "threshold", "volume", "notified")) == [
        (AlertWindow.DAY, Decimal("0.8000"), Decimal("0.900"), 100, 1),
        (AlertWindow.HOUR, Decimal("0.8000"), Decimal("0.900"), 100, 1),
    ]
    assert not AlertCrossing.objects.filter(brand=other_brand).exists()
    assert [m.to for m in mail.outbox] == [["am@example.com"], ["am@example.com"]]
    body = mail.outbox[0].body
    assert "Acme" in mail.outbox[0].subject and "80.0 %" in body and "90.0 %" in body
    assert "送達率" in body and "delivery rate" in body  # both languages
    assert f"/admin/notifications/notification/?brand__id__exact={brand.pk}&status__exact=not_delivered" in body

    # Still crossed ten minutes later: nothing more is sent.
    mail.outbox.clear()
    assert alerts_evaluate(now=NOW.replace(minute=15)) == {"opened": 0, "closed": 0}
    assert mail.outbox == []

    # Back within the threshold over the next hour: the hour's crossing closes; the day's stays open.
    next_hour = LAST_HOUR.replace(hour=10)
    traffic(brand, next_hour, accepted=50, delivered=50)  # the day: 130 of 150, still below
    assert alerts_evaluate(now=NOW.replace(hour=11)) == {"opened": 0, "closed": 1}
    assert set(crossings.filter(closed_at__isnull=True).values_list("window", flat=True)) == {AlertWindow.DAY}

    # And crossed again: a new crossing, told again.
    traffic(brand, next_hour.replace(hour=11), accepted=100, delivered=50)
    assert alerts_evaluate(now=NOW.replace(hour=12)) == {"opened": 1, "closed": 0}
    assert crossings.filter(window=AlertWindow.HOUR).count() == 2
    assert len(mail.outbox) == 1


def test_a_window_with_too_few_messages_is_not_judged(brand: Brand, manager_mail: User, settings: object) -> None:
    traffic(brand, LAST_HOUR, accepted=49, delivered=0)  # below NOTIFICATION_ALERT_MIN_VOLUME (50)

    assert alerts_evaluate(now=NOW) == {"opened": 0, "closed": 0}
    assert mail.outbox == []


def test_a_jump_in_422_refusals_within_the_hour_alerts_though_the_day_is_fine(brand: Brand) -> None:
    traffic(brand, EARLIER, accepted=1000, delivered=1000)
    stat_add(brand_id=brand.pk, at=LAST_HOUR, channel=Channel.PNP, metric=Metric.SENT, n=60)
    stat_add(brand_id=brand.pk, at=LAST_HOUR, channel=Channel.PNP, metric=Metric.REFUSED_422, n=40)  # 40 %

    alerts_evaluate(now=NOW)

    assert list(AlertCrossing.objects.values_list("kind", "window", "value")) == [
        (AlertKind.REFUSED_422_SHARE, AlertWindow.HOUR, Decimal("0.4000"))
    ]


def test_a_brands_own_threshold_replaces_the_default_and_is_audited(brand: Brand, manager: User) -> None:
    traffic(brand, LAST_HOUR, accepted=100, delivered=85)  # 85 %: crossed at the default 90 %
    alert_thresholds_set(brand=brand, actor=manager, values={"delivery_rate_min": Decimal("0.8")})

    alerts_evaluate(now=NOW)

    assert not AlertCrossing.objects.exists()
    event = AuditEvent.objects.get(action="notifications.alert_thresholds_set")
    assert (event.actor_id, event.brand_id, event.data) == (
        manager.pk,
        brand.pk,
        {"before": {"delivery_rate_min": None}, "after": {"delivery_rate_min": "0.8"}},
    )


def test_a_threshold_outside_zero_to_one_is_refused_naming_the_field_and_nothing_is_saved(
    brand: Brand, manager: User
) -> None:
    with pytest.raises(ValidationError) as raised:
        alert_thresholds_set(brand=brand, actor=manager, values={"block_rate_max": Decimal("1.5")})

    assert "block_rate_max" in raised.value.message_dict
    assert not BrandAlertThresholds.objects.exists()
    assert not AuditEvent.objects.filter(action="notifications.alert_thresholds_set").exists()


def test_the_dashboard_shows_an_open_alert_to_its_brands_manager_only(
    brand: Brand, other_brand: Brand, manager: User, other_manager: User
) -> None:
    traffic(brand, LAST_HOUR, accepted=100, delivered=10)
    alerts_evaluate(now=NOW)
    url = reverse("admin:billing_dashboard_changelist")

    mine, theirs = Client(), Client()
    mine.login(username=manager.username, password=PASSWORD)
    theirs.login(username=other_manager.username, password=PASSWORD)
    page = mine.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    other_page = theirs.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="delivery-alerts"' in page and "Acme" in page and "10.0 %" in page
    assert f"?brand__id__exact={brand.pk}&amp;status__exact=not_delivered" in page
    assert 'id="delivery-alerts"' not in other_page
    listing = theirs.get(reverse("admin:notifications_alertcrossing_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and brand.name not in listing.content.decode()
    assert brand.name in mine.get(reverse("admin:notifications_alertcrossing_changelist")).content.decode()


def test_a_manager_sets_thresholds_for_a_brand_they_manage_and_no_other(
    brand: Brand, other_brand: Brand, manager: User
) -> None:
    client = Client()
    client.login(username=manager.username, password=PASSWORD)
    url = reverse("admin:notifications_brandalertthresholds_add")

    refused = client.post(url, {"brand": other_brand.pk, "delivery_rate_min": "0.5"}, HTTP_ACCEPT_LANGUAGE="en")
    saved = client.post(url, {"brand": brand.pk, "delivery_rate_min": "0.85"}, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert saved.status_code == 302
    assert list(BrandAlertThresholds.objects.values_list("brand_id", "delivery_rate_min")) == [
        (brand.pk, Decimal("0.850"))
    ]
    assert AuditEvent.objects.filter(action="notifications.alert_thresholds_set", actor_id=manager.pk).count() == 1
