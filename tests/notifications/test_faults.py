"""The pipeline under LINE's faults and a killed worker: nothing lost, nothing sent twice.

The sandbox answers 429 / 500 / slowly / not at all, or accepts a PNP and answers too late;
a worker is killed with SIGKILL mid-batch. Each notification must end in a final state, and
LINE must never deliver one notification twice. A PNP whose answer never came is not resent
(PNP has no retry key): it is settled by its delivery webhook or by the SMS fallback.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import AttemptStatus, Channel, EventKind, NotificationStatus
from notifications.models import Attempt, Notification
from tests.conftest import redis_available, require, wait_for
from tests.notifications.conftest import Pipeline
from tests.tcp_cut import TcpCut

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

FAST_TIMERS = {
    "LINE_API_READ_TIMEOUT": "1",
    "NOTIFICATION_REQUEUE_AFTER_SECONDS": "2",
    "NOTIFICATION_STALE_SENDING_SECONDS": "2",
}


def world_user(n: int) -> dict:
    return {"phone": f"+8869110{n:05d}", "uid": "U" + f"{n:032x}", "consent": "on", "sms_verified_days_ago": 10}


def send_all(client: APIClient, members: list[Member]) -> list[int]:
    items = [
        {
            "idempotency_key": str(uuid.uuid4()),
            "template": "shipping_notice",
            "member": m.external_id,
            "variables": {"order_id": f"A{m.external_id}", "event_time": "2026-11-25 10:00"},
        }
        for m in members
    ]
    response = client.post("/api/v1/notifications/batch", {"notifications": items}, format="json")
    assert response.status_code == 200 and response.json()["refused"] == 0, response.content
    return [r["body"]["id"] for r in response.json()["results"]]


def all_final(ids: list[int]) -> bool:
    return (
        not Notification.objects.filter(pk__in=ids)
        .exclude(status__in=[NotificationStatus.DELIVERED, NotificationStatus.FAILED, NotificationStatus.NOT_DELIVERED])
        .exists()
    )


def describe(ids: list[int], pipeline: Pipeline | None = None) -> str:
    """Where each notification stands, and the end of the worker's log."""
    states = "; ".join(
        f"{n.pk}:{n.status}:{list(n.events.values_list('kind', flat=True))}"
        for n in Notification.objects.filter(pk__in=ids)[:10]
    )
    if pipeline is None:
        return states
    log = pipeline.worker.log_path.read_text(errors="replace")[-3000:]
    return f"{states}\n--- worker log ({pipeline.worker.log_path}) ---\n{log}"


@pytest.fixture
def members(make_member: Callable[..., Member], approve_template: Callable[..., TemplateVersion]) -> list[Member]:
    approve_template("shipping_notice")
    return [make_member(f"M{n}", f"09110{n:05d}") for n in range(1, 9)]


@pytest.mark.parametrize(
    "faults",
    ["pnp:429:next=3", "pnp:429:next=3@1s"],
    ids=["429 without Retry-After", "429 with Retry-After"],
)
def test_rate_limits_are_retried_until_delivered_once(
    start_pipeline: Callable[..., Pipeline], members: list[Member], api_client: APIClient, faults: str
) -> None:
    pipeline = start_pipeline(
        [world_user(n) for n in range(1, 9)], sandbox_args=["--faults", faults], extra_env=FAST_TIMERS
    )
    ids = send_all(api_client, members)
    wait_for(lambda: all_final(ids), timeout=90, interval=0.5, describe=lambda: describe(ids, pipeline))
    notifications = Notification.objects.filter(pk__in=ids)
    assert all(n.status == NotificationStatus.DELIVERED and n.delivered_channel == Channel.PNP for n in notifications)
    assert sum(a.retries for n in notifications for a in n.attempts.all()) >= 3  # the faults were met
    assert Notification.objects.filter(pk__in=ids, events__kind=EventKind.LINE_RETRY).exists()
    summary = pipeline.sandbox.inspect(summary=1)["summary"]
    assert summary["keys_delivered_more_than_once"] == 0
    assert summary["deliveries"] == len(ids)


@pytest.mark.parametrize(
    "faults",
    ["pnp:slow=1.0@3s", "pnp:drop=1.0", "pnp:500:next=3"],
    ids=["slow past the timeout", "dropped", "500 (LINE may have processed it)"],
)
def test_an_unanswered_pnp_is_not_resent_and_falls_back_to_sms(
    start_pipeline: Callable[..., Pipeline], members: list[Member], api_client: APIClient, faults: str
) -> None:
    pipeline = start_pipeline(
        [world_user(n) for n in range(1, 4)], sandbox_args=["--faults", faults], extra_env=FAST_TIMERS
    )
    ids = send_all(api_client, members[:3])
    wait_for(lambda: all_final(ids), timeout=90, interval=0.5, describe=lambda: describe(ids, pipeline))
    delivered_by_line = {r["tag"] for r in pipeline.sandbox.records(kind="pnp") if r["delivered_at_ms"] is not None}
    for notification in Notification.objects.filter(pk__in=ids):
        pnp = notification.attempts.get(channel=Channel.PNP)
        assert pnp.status in (AttemptStatus.AMBIGUOUS, AttemptStatus.EXPIRED, AttemptStatus.DELIVERED)
        assert notification.events.filter(kind=EventKind.AMBIGUOUS).exists()
        assert notification.status == NotificationStatus.DELIVERED
        if pnp.reference not in delivered_by_line:
            # LINE never delivered it: the member got the notice by SMS, once
            sms = notification.attempts.get(channel=Channel.SMS)
            assert (notification.delivered_channel, sms.status) == (Channel.SMS, AttemptStatus.DELIVERED)
    if faults.startswith("pnp:500"):
        assert not delivered_by_line  # a 500 without accepting: every notice went by SMS
    records = pipeline.sandbox.records(kind="pnp")
    assert len(records) == len(ids)  # one request per notification: never blindly resent


def test_a_pnp_line_accepted_and_delivered_before_answering_500_is_not_sent_again(
    start_pipeline: Callable[..., Pipeline], members: list[Member], api_client: APIClient
) -> None:
    # LINE's retry guidance: a 500 may come after the request was processed. The sandbox accepts,
    # delivers (with its webhook) and only then answers 500: no member may get a second PNP.
    pipeline = start_pipeline(
        [world_user(n) for n in range(1, 4)], sandbox_args=["--faults", "pnp:accept_500:next=3"], extra_env=FAST_TIMERS
    )
    ids = send_all(api_client, members[:3])
    wait_for(lambda: all_final(ids), timeout=60, interval=0.5, describe=lambda: describe(ids, pipeline))
    for notification in Notification.objects.filter(pk__in=ids):
        assert notification.delivered_channel == Channel.PNP, describe(ids)
        assert list(notification.attempts.values_list("channel", flat=True)) == [Channel.PNP]
        assert notification.attempts.get().retries == 0
        assert not notification.delivered_twice
    records = pipeline.sandbox.records(kind="pnp")
    assert len(records) == len(ids)  # one PNP request per notification, never a resend
    assert pipeline.sandbox.inspect(summary=1)["summary"]["keys_delivered_more_than_once"] == 0
    assert len(pipeline.sandbox.records(kind="sms")) == 0


def test_a_pnp_accepted_but_answered_too_late_is_settled_by_its_delivery_event(
    start_pipeline: Callable[..., Pipeline], members: list[Member], api_client: APIClient
) -> None:
    pipeline = start_pipeline(
        [world_user(n) for n in range(1, 4)],
        sandbox_args=["--faults", "pnp:accept_timeout=1.0@3s"],
        extra_env=FAST_TIMERS,
    )
    ids = send_all(api_client, members[:3])
    wait_for(lambda: all_final(ids), timeout=60, interval=0.5, describe=lambda: describe(ids, pipeline))
    for notification in Notification.objects.filter(pk__in=ids):
        assert notification.delivered_channel == Channel.PNP
        assert list(notification.attempts.values_list("channel", flat=True)) == [Channel.PNP]
        assert not notification.delivered_twice
    # the late answers were recorded as such, whether or not the delivery event came first
    assert Notification.objects.filter(pk__in=ids, events__kind=EventKind.AMBIGUOUS).exists(), describe(ids)
    summary = pipeline.sandbox.inspect(summary=1)["summary"]
    assert summary["keys_delivered_more_than_once"] == 0
    assert len(pipeline.sandbox.records(kind="sms")) == 0


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    start_pipeline: Callable[..., Pipeline],
    make_member: Callable[..., Member],
    approve_template: Callable[..., TemplateVersion],
    api_client: APIClient,
    celery_worker_factory: Callable[..., object],
) -> None:
    # given: 40 members, and a LINE that answers each PNP after 0.2 s
    approve_template("shipping_notice")
    members = [make_member(f"K{n}", f"09120{n:05d}") for n in range(40)]
    users = [
        {"phone": f"+8869120{n:05d}", "uid": "U" + f"{n + 1000:032x}", "consent": "on", "sms_verified_days_ago": 10}
        for n in range(40)
    ]
    pipeline = start_pipeline(users, sandbox_args=["--faults", "pnp:slow=1.0@0.2s"], extra_env=FAST_TIMERS)
    # when: the worker is killed while the batch is being sent, then another one starts
    ids = send_all(api_client, members)
    wait_for(lambda: len(pipeline.sandbox.records(kind="pnp")) >= 3, timeout=30)
    pipeline.worker.kill()
    time.sleep(1)
    sent_before_restart = len(pipeline.sandbox.records(kind="pnp"))
    assert sent_before_restart < len(ids), "the kill came too late to test anything"
    celery_worker_factory(extra_env=pipeline.worker.env | {}, beat=True)
    # then: every notification ends final, none is lost, LINE delivered none twice
    wait_for(lambda: all_final(ids), timeout=150, interval=1, describe=lambda: describe(ids, pipeline))
    notifications = list(Notification.objects.filter(pk__in=ids))
    assert len(notifications) == 40
    assert all(n.status == NotificationStatus.DELIVERED for n in notifications), describe(ids)
    summary = pipeline.sandbox.inspect(summary=1)["summary"]
    assert summary["keys_delivered_more_than_once"] == 0
    tags = [r["tag"] for r in pipeline.sandbox.records(kind="pnp") if r["tag"]]
    assert len(tags) == len(set(tags))  # no PNP request was ever repeated
    # only an attempt cut off mid-request may end with both a PNP and an SMS, and it is recorded
    for notification in notifications:
        if notification.delivered_twice:
            assert notification.events.filter(kind=EventKind.AMBIGUOUS).exists()


def test_a_killed_workers_claimed_notifications_move_on_within_a_minute_with_the_default_lease(
    start_pipeline: Callable[..., Pipeline],
    make_member: Callable[..., Member],
    approve_template: Callable[..., TemplateVersion],
    api_client: APIClient,
    celery_worker_factory: Callable[..., object],
) -> None:
    # given: the default claim lease and timeouts, and a LINE that answers each PNP after 0.2 s
    approve_template("shipping_notice")
    members = [make_member(f"Q{n}", f"09130{n:05d}") for n in range(30)]
    users = [
        {"phone": f"+8869130{n:05d}", "uid": "U" + f"{n + 2000:032x}", "consent": "on", "sms_verified_days_ago": 10}
        for n in range(30)
    ]
    pipeline = start_pipeline(users, sandbox_args=["--faults", "pnp:slow=1.0@0.2s"])
    ids = send_all(api_client, members)
    wait_for(lambda: len(pipeline.sandbox.records(kind="pnp")) >= 3, timeout=30)
    # when: the worker dies with most of its claimed batch unsent, and another one starts
    pipeline.worker.kill()
    killed_at = time.monotonic()
    assert len(pipeline.sandbox.records(kind="pnp")) < len(ids), "the kill came too late to test anything"
    celery_worker_factory(extra_env=pipeline.worker.env | {}, beat=True)
    # then: within a minute none is left claimed or waiting in the queue
    waiting = [NotificationStatus.QUEUED, NotificationStatus.SENDING]
    wait_for(
        lambda: not Notification.objects.filter(pk__in=ids, status__in=waiting).exists(),
        timeout=60,
        interval=1,
        describe=lambda: describe(ids, pipeline),
    )
    assert time.monotonic() - killed_at < 60
    tags = [r["tag"] for r in pipeline.sandbox.records(kind="pnp") if r["tag"]]
    assert len(tags) == len(set(tags))  # and no PNP was sent twice


def test_a_worker_whose_redis_is_cut_mid_batch_marks_nothing_sent_and_sends_everything_once_when_it_returns(
    start_pipeline: Callable[..., Pipeline],
    make_member: Callable[..., Member],
    approve_template: Callable[..., TemplateVersion],
    api_client: APIClient,
) -> None:
    # given: a live worker whose rate limiter talks to Redis through a relay the test can cut
    require(redis_available(), "Redis (REDIS_URL)")
    redis_url = urlparse(str(django_settings.REDIS_URL))
    relay = TcpCut(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    approve_template("shipping_notice")
    members = [make_member(f"R{n}", f"09140{n:05d}") for n in range(24)]
    users = [
        {"phone": f"+8869140{n:05d}", "uid": "U" + f"{n + 2000:032x}", "consent": "on", "sms_verified_days_ago": 10}
        for n in range(24)
    ]
    worker_redis = f"redis://127.0.0.1:{relay.port}{redis_url.path or '/0'}"
    pipeline = start_pipeline(
        users, sandbox_args=["--faults", "pnp:slow=1.0@0.2s"], extra_env=FAST_TIMERS | {"REDIS_URL": worker_redis}
    )
    try:
        ids = send_all(api_client, members)
        wait_for(lambda: len(pipeline.sandbox.records(kind="pnp")) >= 3, timeout=30)

        # when: Redis goes away for a few seconds while the batch is being sent
        relay.cut()
        time.sleep(4)
        sent_tags = {r["tag"] for r in pipeline.sandbox.records(kind="pnp")}
        marked = set(
            Attempt.objects.filter(notification_id__in=ids, channel=Channel.PNP, sent_at__isnull=False).values_list(
                "reference", flat=True
            )
        )
        # then: nothing was marked sent that did not reach LINE (a request cut mid-flight may be on its way)
        assert marked <= sent_tags, (marked - sent_tags, describe(ids, pipeline))
        assert len(sent_tags) < len(ids), "the cut came too late to test anything"
        relay.restore()

        # and when it is back, every notification is delivered, once, by PNP; none is settled "ambiguous"
        wait_for(lambda: all_final(ids), timeout=120, interval=1, describe=lambda: describe(ids, pipeline))
    finally:
        relay.close()
    notifications = list(Notification.objects.filter(pk__in=ids))
    assert all(n.status == NotificationStatus.DELIVERED and n.delivered_channel == Channel.PNP for n in notifications)
    assert not Notification.objects.filter(pk__in=ids, events__kind=EventKind.AMBIGUOUS).exists(), describe(ids)
    # the outage was met: the worker gave notifications back to be retried rather than send them unlimited
    assert Notification.objects.filter(pk__in=ids, events__kind=EventKind.LINE_RETRY).exists(), describe(ids)
    tags = [r["tag"] for r in pipeline.sandbox.records(kind="pnp")]
    assert len(tags) == len(set(tags)) == len(ids)
    assert pipeline.sandbox.inspect(summary=1)["summary"]["keys_delivered_more_than_once"] == 0
