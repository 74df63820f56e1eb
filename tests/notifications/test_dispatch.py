"""Dispatching a batch: a fixed number of queries, plus the one "sent" mark each request needs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import TemplateVersion
from integrations import line as line_client
from members.models import Member
from notifications.choices import NotificationStatus
from notifications.models import Notification
from notifications.services import SendRequest, notification_accept, notifications_dispatch
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


def test_a_batch_of_twenty_takes_fifteen_queries_more_than_a_batch_of_five(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")  # the one client seam
    approve_template("shipping_notice")

    def dispatch_queries(numbers: range) -> int:
        ids = []
        for n in numbers:
            member = make_member(f"D{n}", f"0912-200-{n:03d}")
            request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
            ids.append(notification_accept(brand=brand, request=request).pk)
        with CaptureQueriesContext(connection) as captured:
            assert notifications_dispatch(notification_ids=ids) == []
        return len(captured)

    # Brands, template versions, members and their LINE links are read once per batch; only the
    # "sent" mark, committed just before each request leaves, is one statement per notification.
    assert dispatch_queries(range(20, 40)) - dispatch_queries(range(5)) == 15
    assert Notification.objects.filter(status=NotificationStatus.AWAITING_DELIVERY).count() == 25


def test_an_answer_for_a_notification_that_moved_on_meanwhile_is_dropped_and_the_batch_goes_on(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given two queued notifications, the first of which a delivery settles while LINE answers 422
    approve_template("shipping_notice")
    ids = []
    for n in range(2):
        member = make_member(f"R{n}", f"0912-300-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        ids.append(notification_accept(brand=brand, request=request).pk)

    def pnp_push(**kwargs: object) -> str:
        if kwargs["delivery_tag"] == first_tag():
            Notification.objects.filter(pk=ids[0]).update(status=NotificationStatus.DELIVERED)
            raise line_client.LineRefusedError("LINE refused the PNP (422)", status=422)
        return "request-id"

    def first_tag() -> str:
        return Notification.objects.get(pk=ids[0]).attempts.get().reference

    monkeypatch.setattr(line_client, "pnp_push", pnp_push)
    # when
    assert notifications_dispatch(notification_ids=ids) == []
    # then the refusal did not reopen the delivered one, and the second was still sent
    statuses = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: NotificationStatus.DELIVERED, ids[1]: NotificationStatus.AWAITING_DELIVERY}


def test_with_the_rate_limits_redis_unreachable_nothing_is_marked_sent_and_the_notification_waits_to_retry(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
    settings: object,
) -> None:
    # given a Redis that does not answer (nothing listens on port 1)
    from integrations import ratelimit

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]
    ratelimit._redis_script.cache_clear()
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: pytest.fail("nothing may be sent"))
    approve_template("shipping_notice")
    member = make_member("X1", "0912-400-001")
    request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
    notification = notification_accept(brand=brand, request=request)
    try:
        # when
        retries = notifications_dispatch(notification_ids=[notification.pk])
    finally:
        ratelimit._redis_script.cache_clear()
    # then it is queued again, as never sent, and Celery is asked to retry with a backoff
    assert [r.notification_id for r in retries] == [notification.pk]
    assert retries[0].retry_after == 5.0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED
    attempt = notification.attempts.get()
    assert attempt.sent_at is None and "rate limit is unreachable" in attempt.error


def test_a_422_from_line_moves_the_notification_on_to_sms_at_once(
    django_capture_on_commit_callbacks: Callable[..., object],
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a member LINE cannot reach by number (422: no LINE user, or PNP consent off)
    def refuse(**kwargs: object) -> str:
        raise line_client.LineRefusedError("LINE refused the PNP (422)", status=422)

    monkeypatch.setattr(line_client, "pnp_push", refuse)
    approve_template("shipping_notice")
    member = make_member("F1", "0912-800-001")
    request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
    notification = notification_accept(brand=brand, request=request)
    assert notification.channel_plan == ["pnp", "sms"]
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_dispatch(notification_ids=[notification.pk]) == []
    # then the PNP attempt is refused (not failed), the member flagged, and the SMS dispatched at once
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED
    assert list(notification.attempts.values_list("channel", "status")) == [("pnp", "refused")]
    member.refresh_from_db()
    assert member.needs_phone_confirmation
    assert callbacks, "the next channel's dispatch is enqueued after the commit"


def test_a_delivery_event_faster_than_lines_200_is_kept_when_the_200_is_recorded(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given two queued PNPs, the first of which LINE reports delivered before its 200 is recorded
    from django.utils import timezone

    from notifications.choices import AttemptStatus
    from notifications.models import Attempt

    approve_template("shipping_notice")
    ids = []
    for n in range(2):
        member = make_member(f"F{n}", f"0912-310-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        ids.append(notification_accept(brand=brand, request=request).pk)

    def pnp_push(**kwargs: object) -> str:
        Attempt.objects.filter(reference=kwargs["delivery_tag"], notification_id=ids[0]).update(
            status=AttemptStatus.DELIVERED, delivered_at=timezone.now()
        )
        return "request-id"

    monkeypatch.setattr(line_client, "pnp_push", pnp_push)
    # when the batch's 200s are recorded together
    assert notifications_dispatch(notification_ids=ids) == []
    # then the delivered attempt stays delivered, and the other is accepted
    statuses = dict(Attempt.objects.filter(notification_id__in=ids).values_list("notification_id", "status"))
    assert statuses == {ids[0]: AttemptStatus.DELIVERED, ids[1]: AttemptStatus.ACCEPTED}
    # and both keep LINE's answer to a flexible PNP, 200
    assert set(Attempt.objects.filter(notification_id__in=ids).values_list("http_status", flat=True)) == {200}
