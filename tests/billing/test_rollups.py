"""The hourly rollups the bills read stay exact under late, duplicate and out-of-order webhook events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from billing.periods import JST, TAIWAN
from billing.selectors import daily_counts, hourly_daily_counts
from compliance.models import TemplateVersion
from integrations import line as line_client
from integrations.signatures import line_signature
from members.models import Member
from notifications.api import webhooks
from notifications.choices import Channel, Metric
from notifications.models import Attempt, Notification
from notifications.services import SendRequest, notification_accept, notification_dispatch, webhook_events_drain
from notifications.stats import RECOMPUTABLE, expected_counts, recompute, stored_counts
from portal.models import Brand


@pytest.fixture(autouse=True)
def fresh_webhook_secrets() -> Iterator[None]:
    """The webhook view keeps brand secrets per process by slug; test brands reuse slugs with new ids."""
    webhooks._secrets.clear()
    yield
    webhooks._secrets.clear()


def post_events(brand: Brand, events: list[dict[str, Any]]) -> None:
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode()
    signature = line_signature(channel_secret=brand.channel_secret.reveal(), body=body)
    response = Client().post(
        f"/webhooks/line/{brand.slug}", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )
    assert response.status_code == 200, response.content


def delivery(event_id: str, tag: str, at: Any, *, redelivery: bool = False) -> dict[str, Any]:
    return {
        "type": "delivery",
        "webhookEventId": event_id,
        "timestamp": int(at.timestamp() * 1000),
        "mode": "active",
        "deliveryContext": {"isRedelivery": redelivery},
        "delivery": {"data": tag},
    }


def follow(event_id: str, event_type: str, uid: str, at: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "webhookEventId": event_id,
        "timestamp": int(at.timestamp() * 1000),
        "mode": "active",
        "deliveryContext": {"isRedelivery": False},
        "source": {"type": "user", "userId": uid},
    }


def test_rollups_match_a_recount_from_raw_rows_after_late_duplicate_and_out_of_order_events(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: four PNP accepted by LINE (the client is the one seam replaced)
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")
    approve_template("shipping_notice")
    tags = []
    for i in range(4):
        member = make_member(f"M{i}", f"+88690000010{i}")
        notification = notification_accept(
            brand=brand,
            request=SendRequest(
                template="shipping_notice",
                member=member.external_id,
                variables={"order_id": f"A{i}", "event_time": "2026-11-25 10:00"},
            ),
        )
        notification_dispatch(notification_id=notification.pk)
        tags.append(Attempt.objects.get(notification=notification, channel=Channel.PNP).reference)
    now = timezone.now()

    # when: events arrive out of order, one twice under two ids, one redelivered, one 3 hours late
    post_events(
        brand, [delivery("E3", tags[2], now + timedelta(hours=2)), delivery("E1", tags[0], now + timedelta(minutes=1))]
    )
    webhook_events_drain()
    post_events(
        brand,
        [delivery("E2", tags[1], now + timedelta(minutes=5)), delivery("E2b", tags[1], now + timedelta(minutes=6))],
    )
    post_events(brand, [delivery("E1", tags[0], now + timedelta(minutes=1), redelivery=True)])
    post_events(brand, [delivery("E4", tags[3], now - timedelta(hours=3) + timedelta(hours=4))])
    post_events(brand, [follow("F1", "follow", "U" + "1" * 32, now), follow("F2", "unfollow", "U" + "2" * 32, now)])
    webhook_events_drain()

    # then: every recomputable count equals a recount from the raw attempts and events
    expected = expected_counts(brand_id=brand.pk)
    stored = stored_counts(brand_id=brand.pk, metrics=RECOMPUTABLE)
    assert stored == expected
    delivered = sum(n for (_b, _h, c, m), n in stored.items() if m == Metric.DELIVERED and c == Channel.PNP)
    assert delivered == 4 == Attempt.objects.filter(delivered_at__isnull=False).count()
    twice = sum(n for (_b, _h, _c, m), n in stored_counts(brand_id=brand.pk).items() if m == Metric.DELIVERED_TWICE)
    assert twice == 1 == Notification.objects.filter(delivered_twice=True).count()
    assert sum(n for (_b, _h, _c, m), n in stored.items() if m.startswith("lat_")) == 4
    assert sum(n for (_b, _h, _c, m), n in stored.items() if m in (Metric.FOLLOW, Metric.UNFOLLOW)) == 2

    # and the daily rollup the bills read equals the hourly one summed per Taiwan and per JST day
    assert_daily_matches_hourly(brand)

    # and the repair tool rebuilds the same figures, the daily rollup following
    recompute(brand_id=brand.pk)
    assert stored_counts(brand_id=brand.pk, metrics=RECOMPUTABLE) == expected
    assert_daily_matches_hourly(brand)


def assert_daily_matches_hourly(brand: Brand) -> None:
    today = timezone.now().date()
    metrics = [*RECOMPUTABLE, Metric.DELIVERED_TWICE, Metric.SMS_FALLBACK, Metric.FAILED]
    for zone in (TAIWAN, JST):
        span = {"first": today - timedelta(days=3), "last": today + timedelta(days=3), "zone": zone}
        hourly = hourly_daily_counts(**span, metrics=metrics, brand_ids=[brand.pk])
        assert hourly, "the scenario produced counts"
        assert daily_counts(**span, metrics=metrics, brand_ids=[brand.pk]) == hourly
