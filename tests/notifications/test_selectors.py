from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import TemplateVersion
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record, line_link_bind
from notifications.choices import AttemptStatus, Channel, NotificationStatus
from notifications.models import Attempt, Notification, WebhookEvent
from notifications.selectors import template_send_stats
from notifications.services import SendRequest, notification_accept
from portal.models import Brand

pytestmark = pytest.mark.django_db


def accept(brand: Brand, member: Member) -> Notification:
    return notification_accept(
        brand=brand,
        request=SendRequest(
            template="shipping_notice",
            member=member.external_id,
            variables={"order_id": "A1", "event_time": "2026-11-25 10:00"},
        ),
    )


def deliver(notification: Notification, channel: str, at: object) -> None:
    Attempt.objects.create(
        notification=notification,
        channel=channel,
        reference=f"r-{notification.pk}-{channel}",
        status=AttemptStatus.DELIVERED,
        sent_at=at,
        accepted_at=at,
        delivered_at=at,
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.DELIVERED, delivered_at=at, delivered_channel=channel
    )


def test_send_stats_count_fallbacks_and_blocks_within_24_hours_of_a_line_delivery(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> None:
    # given
    version = approve_template("shipping_notice")
    now = timezone.now()
    members = [make_member(f"M{n}", f"0912-000-00{n}") for n in range(1, 5)]
    for n, member in enumerate(members[:3], start=1):
        consent = consent_record(
            member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source=ConsentSource.APP, actor="test"
        )
        line_link_bind(member=member, uid=f"U{n:032x}", consent=consent, actor="test")
    sent = [accept(brand, member) for member in members]
    deliver(sent[0], Channel.PNP, now)  # blocked one hour later: counts
    deliver(sent[1], Channel.PNP, now)  # blocked two days later: does not count
    deliver(sent[2], Channel.SMS, now)  # fell back to SMS
    Attempt.objects.create(notification=sent[2], channel=Channel.PNP, reference="r-pnp-2", status=AttemptStatus.EXPIRED)
    for uid, at, event_id in [
        (f"U{1:032x}", now + timedelta(hours=1), "E1"),
        (f"U{2:032x}", now + timedelta(days=2), "E2"),
    ]:
        WebhookEvent.objects.create(
            brand=brand,
            event_id=event_id,
            event_type="unfollow",
            occurred_at=at,
            payload={"type": "unfollow", "source": {"userId": uid}},
        )
    # when
    [stats] = template_send_stats(now - timedelta(days=7))
    # then
    assert stats.version_id == version.pk
    assert (stats.sends, stats.sms_fallbacks, stats.line_deliveries_known_uid, stats.blocked_within_24h) == (4, 1, 2, 1)
