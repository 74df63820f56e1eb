"""The outbox sweeper: a claim is a lease, so a dead worker's notifications are sent again within a minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.models import Attempt, Notification
from notifications.services import SendRequest, notification_accept, outbox_sweep
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr("notifications.services.timers.enqueue_dispatch", ids.extend)
    return ids


@pytest.fixture
def claimed(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> Callable[..., Attempt]:
    approve_template("shipping_notice")
    counter = iter(range(100))

    def claim(*, claimed_ago: float, sent_ago: float | None, channel: str = Channel.PNP) -> Attempt:
        n = next(counter)
        member = make_member(f"L{n}", f"0912-500-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        notification = notification_accept(brand=brand, request=request)
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.SENDING, channel=channel, updated_at=now - timedelta(seconds=claimed_ago)
        )
        return Attempt.objects.create(
            notification=notification,
            channel=channel,
            reference=f"tag-lease-{n}",
            status=AttemptStatus.PENDING,
            claim="worker-that-died",
            sent_at=None if sent_ago is None else now - timedelta(seconds=sent_ago),
        )

    return claim


def _status(attempt: Attempt) -> str:
    return Notification.objects.get(pk=attempt.notification_id).status


def test_a_claim_unsent_past_its_30_second_lease_goes_back_to_the_queue(
    claimed: Callable[..., Attempt], enqueued: list[int]
) -> None:
    stale = claimed(claimed_ago=31, sent_ago=None)
    fresh = claimed(claimed_ago=20, sent_ago=None)
    assert outbox_sweep() == 1
    assert enqueued == [stale.notification_id]
    assert _status(stale) == NotificationStatus.QUEUED and _status(fresh) == NotificationStatus.SENDING
    stale.refresh_from_db()
    assert stale.claim == "" and stale.sent_at is None  # the dead worker's claim can no longer be marked sent


def test_a_request_still_within_its_timeout_is_left_to_its_worker(
    claimed: Callable[..., Attempt], enqueued: list[int]
) -> None:
    in_flight = claimed(claimed_ago=40, sent_ago=10)  # LINE's timeouts add up to 13.05 s, plus 5
    assert outbox_sweep() == 0
    assert _status(in_flight) == NotificationStatus.SENDING and enqueued == []


def test_a_pnp_sent_by_a_worker_that_died_in_flight_is_ambiguous_and_never_resent(
    claimed: Callable[..., Attempt], enqueued: list[int]
) -> None:
    dead = claimed(claimed_ago=40, sent_ago=19)
    outbox_sweep()
    assert enqueued == []
    notification = Notification.objects.get(pk=dead.notification_id)
    assert notification.status != NotificationStatus.SENDING
    assert notification.events.filter(kind=EventKind.AMBIGUOUS).exists()


def test_a_push_sent_by_a_worker_that_died_is_sent_again_under_its_retry_key(
    claimed: Callable[..., Attempt], enqueued: list[int]
) -> None:
    dead = claimed(claimed_ago=40, sent_ago=19, channel=Channel.LINE_PUSH)
    assert outbox_sweep() == 1
    assert enqueued == [dead.notification_id] and _status(dead) == NotificationStatus.QUEUED


def test_an_accepted_pnp_waits_exactly_24_hours_for_its_delivery_then_is_not_delivered(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
    settings: object,
) -> None:
    # given a PNP LINE accepted at a known moment (LINE's own clock, no test speed-up)
    from integrations import line as line_client
    from notifications.services import deliveries_expire, notifications_dispatch

    settings.LINE_TIME_FACTOR = 1  # type: ignore[attr-defined]
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")
    approve_template("shipping_notice")
    member = make_member("W1", "0912-700-001")
    request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
    notification = notification_accept(brand=brand, request=request)
    before = timezone.now()
    notifications_dispatch(notification_ids=[notification.pk])
    after = timezone.now()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.AWAITING_DELIVERY
    # then the window ends 24 hours after LINE accepted it
    assert before + timedelta(hours=24) <= notification.expires_at <= after + timedelta(hours=24)
    assert deliveries_expire(now=notification.expires_at - timedelta(seconds=1)) == 0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.AWAITING_DELIVERY
    # an earlier attempt that LINE already answered (here, failed) keeps its own outcome
    (accepted,) = notification.attempts.all()
    failed = Attempt.objects.get(pk=accepted.pk)
    failed.pk, failed.status, failed.reference = None, AttemptStatus.FAILED, f"{accepted.reference}-earlier"
    failed.save()
    deliveries_expire(now=notification.expires_at)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.NOT_DELIVERED
    statuses = dict(notification.attempts.values_list("pk", "status"))
    assert statuses == {accepted.pk: AttemptStatus.EXPIRED, failed.pk: AttemptStatus.FAILED}


def test_a_pnp_not_delivered_within_its_templates_delay_queues_its_sms_exactly_then(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
    enqueued: list[int],
    settings: object,
) -> None:
    # given a PNP LINE accepted, from a template whose SMS follows 240 minutes without a delivery
    from integrations import line as line_client
    from notifications.models import DeliveryStat
    from notifications.services import fallbacks_due, notifications_dispatch

    settings.LINE_TIME_FACTOR = 1  # type: ignore[attr-defined]
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")
    approve_template("shipping_notice")
    member = make_member("F1", "0912-800-001")
    request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
    notification = notification_accept(brand=brand, request=request)
    notifications_dispatch(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.AWAITING_DELIVERY
    due = notification.fallback_due_at
    assert due is not None

    # when the clock runs: a second early nothing moves
    assert fallbacks_due(now=due - timedelta(seconds=1)) == 0
    notification.refresh_from_db()
    assert (notification.status, enqueued) == (NotificationStatus.AWAITING_DELIVERY, [])

    # then at the delay the SMS is queued once, with a timeline line and a fallback counted
    assert fallbacks_due(now=due) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.fallback_due_at, enqueued) == (
        NotificationStatus.QUEUED,
        None,
        [notification.pk],
    )
    event = notification.events.get(kind=EventKind.FALLBACK_DUE)
    assert event.detail == "no delivery event within 240 minutes; sending the SMS"
    assert event.attempt is not None and event.attempt.channel == Channel.PNP
    stat = DeliveryStat.objects.get(brand=brand, channel=Channel.PNP, metric=Metric.SMS_FALLBACK)
    assert stat.count == 1
    assert fallbacks_due(now=due + timedelta(hours=1)) == 0  # queued already: not again


def test_a_backlog_of_fallbacks_is_worked_oldest_due_first(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
    enqueued: list[int],
) -> None:
    # given two PNPs awaiting their delivery, the one accepted later due first
    from integrations import line as line_client
    from notifications.services import fallbacks_due, notifications_dispatch

    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")
    approve_template("shipping_notice")
    ids = []
    for n in range(2):
        member = make_member(f"B{n}", f"0912-810-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        ids.append(notification_accept(brand=brand, request=request).pk)
    notifications_dispatch(notification_ids=ids)
    now = timezone.now()
    Notification.objects.filter(pk=ids[0]).update(fallback_due_at=now - timedelta(minutes=1))
    Notification.objects.filter(pk=ids[1]).update(fallback_due_at=now - timedelta(minutes=2))
    # when a run may take only one, it takes the one due longest; the next run takes the other
    assert fallbacks_due(now=now, limit=1) == 1
    assert enqueued == [ids[1]]
    assert fallbacks_due(now=now, limit=1) == 1
    assert enqueued == [ids[1], ids[0]]


def test_a_notification_queued_again_for_its_sms_does_not_take_an_awaiting_ones_place_in_the_expiry(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given two PNPs past their window: one still awaiting its delivery, one whose fallback put it
    # back in the queue for its SMS (queued_fields keeps the window's end), the queued one older
    from integrations import line as line_client
    from notifications.services import deliveries_expire, notifications_dispatch

    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")
    approve_template("shipping_notice")
    ids = []
    for n in range(2):
        member = make_member(f"E{n}", f"0912-820-{n:03d}")
        request = SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES)
        ids.append(notification_accept(brand=brand, request=request).pk)
    notifications_dispatch(notification_ids=ids)
    now = timezone.now()
    queued, awaiting = ids
    Notification.objects.filter(pk=queued).update(
        status=NotificationStatus.QUEUED, channel=Channel.SMS, expires_at=now - timedelta(minutes=2)
    )
    Notification.objects.filter(pk=awaiting).update(expires_at=now - timedelta(minutes=1))
    # when a run may take only one, it takes the awaiting one: the queued one is its SMS's business
    assert deliveries_expire(now=now, limit=1) == 1
    assert Notification.objects.get(pk=awaiting).status == NotificationStatus.NOT_DELIVERED
    assert Notification.objects.get(pk=queued).status == NotificationStatus.QUEUED
