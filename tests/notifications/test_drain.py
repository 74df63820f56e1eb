"""Draining LINE's delivery events: plain deliveries together, the rest one by one, same outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import AttemptStatus, Channel, NotificationStatus
from notifications.hooks import apply_event
from notifications.models import Attempt, Notification, NotificationEvent, WebhookEvent
from notifications.services import SendRequest, notification_accept, webhook_events_drain
from notifications.stats import stored_counts
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


def sent(brand: Brand, member: str, *, status: str = NotificationStatus.AWAITING_DELIVERY) -> Attempt:
    """A notification whose PNP LINE accepted a minute ago (or is still answering: ``sending``)."""
    notification = notification_accept(
        brand=brand, request=SendRequest(template="shipping_notice", member=member, variables=VARIABLES)
    )
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    Notification.objects.filter(pk=notification.pk).update(status=status, channel=Channel.PNP)
    accepted = status == NotificationStatus.AWAITING_DELIVERY
    return Attempt.objects.create(
        notification=notification,
        channel=Channel.PNP,
        reference=f"tag-{member}-{notification.pk:016d}",
        status=AttemptStatus.ACCEPTED if accepted else AttemptStatus.PENDING,
        sent_at=a_minute_ago,
        answered_at=a_minute_ago if accepted else None,
        accepted_at=a_minute_ago if accepted else None,
    )


def delivery(brand: Brand, event_id: str, tag: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        brand=brand,
        event_id=event_id,
        event_type="delivery",
        occurred_at=timezone.now(),
        payload={"type": "delivery", "delivery": {"data": tag}},
    )


def state() -> dict[str, Any]:
    """Everything a delivery event may change, in a comparable form."""
    return {
        "events": sorted(WebhookEvent.objects.values_list("event_id", "result")),
        "notifications": sorted(
            Notification.objects.values_list("pk", "status", "delivered_channel", "delivered_twice", "delivered_at")
        ),
        "attempts": sorted(Attempt.objects.values_list("pk", "status", "delivered_at")),
        "timeline": sorted(NotificationEvent.objects.values_list("notification_id", "kind", "attempt_id")),
        "counts": stored_counts(),
    }


@pytest.fixture
def inbox(
    brand: Brand,
    other_brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    """Delivery events of every kind, in one batch."""
    approve_template("shipping_notice")
    for n in range(6):
        make_member(f"M{n}", f"0912-000-00{n}")
    plain, twice, faster = sent(brand, "M0"), sent(brand, "M1"), sent(brand, "M2", status=NotificationStatus.SENDING)
    expired = sent(brand, "M3")
    Attempt.objects.filter(pk=expired.pk).update(status=AttemptStatus.EXPIRED)
    Notification.objects.filter(pk=expired.notification_id).update(status=NotificationStatus.NOT_DELIVERED)
    after_sms = sent(brand, "M4")
    sms = Attempt.objects.create(
        notification_id=after_sms.notification_id,
        channel=Channel.SMS,
        reference="sms-1",
        status=AttemptStatus.DELIVERED,
        delivered_at=timezone.now(),
    )
    Notification.objects.filter(pk=sms.notification_id).update(
        status=NotificationStatus.DELIVERED, delivered_channel=Channel.SMS, delivered_at=sms.delivered_at
    )
    delivery(brand, "e1", plain.reference)
    delivery(brand, "e2", twice.reference)
    delivery(brand, "e3", "tag-nobody-sent-this")
    delivery(brand, "e4", twice.reference)  # LINE delivered the same request twice
    delivery(other_brand, "e5", plain.reference)  # another brand's webhook cannot settle this brand's PNP
    delivery(brand, "e6", faster.reference)
    delivery(brand, "e7", expired.reference)
    WebhookEvent.objects.create(
        brand=brand, event_id="e8", event_type="membership", occurred_at=timezone.now(), payload={}
    )
    delivery(brand, "e9", after_sms.reference)


def test_a_drained_batch_ends_as_applying_each_event_in_turn_would(inbox: None) -> None:
    with transaction.atomic():
        for event in WebhookEvent.objects.order_by("id"):
            with transaction.atomic():
                event.result, detail = apply_event(event)
            event.detail, event.detail_code, event.detail_params = detail.english(200), detail.code, detail.params
            event.save(update_fields=["result", "detail", "detail_code", "detail_params"])
        one_by_one = state()
        transaction.set_rollback(True)

    assert webhook_events_drain() == 9
    drained = state()
    assert drained == one_by_one
    assert dict(drained["events"]) == {
        "e1": "applied",
        "e2": "applied",
        "e3": "unmatched",
        "e4": "duplicate",
        "e5": "unmatched",
        "e6": "applied",
        "e7": "applied",
        "e8": "ignored",
        "e9": "applied",
    }
    statuses = {pk: (status, channel, twice) for pk, status, channel, twice, _at in drained["notifications"]}
    assert sorted(statuses.values()) == sorted(
        [("delivered", "pnp", False)] * 3 + [("delivered", "pnp", True), ("delivered", "sms", True)]
    )


def test_a_malformed_delivery_event_fails_alone(inbox: None, brand: Brand) -> None:
    WebhookEvent.objects.create(
        brand=brand, event_id="bad", event_type="delivery", occurred_at=timezone.now(), payload={"delivery": "x"}
    )
    assert webhook_events_drain() == 10
    results = dict(WebhookEvent.objects.values_list("event_id", "result"))
    assert results["bad"] == "failed"
    assert results["e1"] == results["e6"] == "applied"


def test_plain_deliveries_take_the_same_queries_for_five_events_as_for_twenty(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> None:
    approve_template("shipping_notice")

    def drain_queries(members: range) -> int:
        for n in members:
            make_member(f"Q{n}", f"0912-100-{n:03d}")
            attempt = sent(brand, f"Q{n}")
            delivery(brand, f"q{n}", attempt.reference)
        with CaptureQueriesContext(connection) as captured:
            assert webhook_events_drain() == len(members)
        return len(captured)

    assert drain_queries(range(5)) == drain_queries(range(5, 25))
    assert Notification.objects.filter(status=NotificationStatus.DELIVERED).count() == 25
