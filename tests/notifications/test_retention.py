"""Retention: content past its period is removed by beat's daily job; counts, states and bills stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import AttemptStatus, Channel, NotificationStatus, WebhookEventResult
from notifications.models import Attempt, Notification, WebhookEvent
from notifications.services import SendRequest, notification_accept, retention_enforce
from notifications.stats import stored_counts
from notifications.tasks import retention_enforce as retention_task
from portal.celery import app as celery_app
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


@pytest.fixture
def aged(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> Callable[..., Notification]:
    approve_template("shipping_notice")
    counter = iter(range(100))

    def make(*, days: int, status: str = NotificationStatus.DELIVERED) -> Notification:
        n = next(counter)
        member = make_member(f"R{n}", f"0912-600-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        notification = notification_accept(brand=brand, request=request)
        Notification.objects.filter(pk=notification.pk).update(
            status=status, created_at=timezone.now() - timedelta(days=days), delivered_channel=Channel.PNP
        )
        Attempt.objects.create(
            notification=notification,
            channel=Channel.PNP,
            reference=f"tag-ret-{n}",
            status=AttemptStatus.FAILED,
            error="LINE answered 400: {'message': 'The request body has 1 error(s)'}",
        )
        return notification

    return make


def test_a_final_notification_past_180_days_loses_its_content_and_keeps_its_record(
    aged: Callable[..., Notification], settings: object
) -> None:
    old, young = aged(days=181), aged(days=179)
    open_but_old = aged(days=200, status=NotificationStatus.AWAITING_DELIVERY)
    counts_before = stored_counts()
    # when
    assert retention_task.apply().get()["notifications"] == 1
    # then
    old.refresh_from_db()
    assert (old.variables, old.line_messages, old.sms_text) == ({}, [], "")
    assert old.content_purged_at is not None
    assert (old.status, old.delivered_channel, old.template_code) == (
        NotificationStatus.DELIVERED,
        "pnp",
        "shipping_notice",
    )
    assert old.attempts.get().error == "" and old.attempts.get().status == AttemptStatus.FAILED
    for kept in (young, open_but_old):
        kept.refresh_from_db()
        assert kept.variables == VARIABLES and kept.sms_text and kept.content_purged_at is None
    assert stored_counts() == counts_before  # the hourly counts billing reads are untouched
    assert retention_enforce()["notifications"] == 0  # a second run has nothing left to do


def test_a_processed_webhook_payload_past_90_days_is_removed_and_its_result_kept(brand: Brand) -> None:
    def event(event_id: str, processed_days_ago: int | None) -> WebhookEvent:
        processed = None if processed_days_ago is None else timezone.now() - timedelta(days=processed_days_ago)
        return WebhookEvent.objects.create(
            brand=brand,
            event_id=event_id,
            event_type="delivery",
            occurred_at=timezone.now() - timedelta(days=100),
            payload={"delivery": {"data": "tag-1"}, "source": {"userId": "U" + "1" * 32}},
            processed_at=processed,
            result=WebhookEventResult.APPLIED if processed else "",
        )

    old, young, unprocessed = event("e-old", 91), event("e-young", 89), event("e-waiting", None)
    assert retention_enforce()["webhook_events"] == 1
    old.refresh_from_db()
    assert old.payload == {} and old.payload_purged_at is not None
    assert (old.event_type, old.result) == ("delivery", WebhookEventResult.APPLIED)
    for kept in (young, unprocessed):
        kept.refresh_from_db()
        assert kept.payload["delivery"] == {"data": "tag-1"}


def test_the_periods_are_settings(aged: Callable[..., Notification], settings: object) -> None:
    settings.NOTIFICATION_CONTENT_RETENTION_DAYS = 30  # type: ignore[attr-defined]
    notification = aged(days=31)
    assert retention_enforce()["notifications"] == 1
    notification.refresh_from_db()
    assert notification.content_purged_at is not None


def test_beat_enforces_retention_daily_at_0330() -> None:
    entry = celery_app.conf.beat_schedule["notifications-retention"]
    assert entry["task"] == "notifications.tasks.retention_enforce"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})
