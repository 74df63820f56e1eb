"""The table of a notification's status moves, and the one module that writes status and timeline."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

import notifications
from compliance.choices import TemplateKind
from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import RetryLater, StatusMoveError
from notifications.models import Attempt, DeliveryStat, Notification, NotificationEvent
from notifications.services import SendRequest, notification_accept
from notifications.services.accepting import notification_build
from notifications.services.common import MAX_RETRIES
from notifications.services.outcomes import (
    attempt_release_for_retry,
    channel_failed,
    delivery_record,
    notification_finish,
    pnp_ambiguous,
)
from notifications.services.states import (
    Fields,
    awaiting_fields,
    delivered_fields,
    final_fields,
    move_check,
    notification_write,
    notifications_create,
    notifications_write,
    notifications_write_rows,
    queued_fields,
    sending_fields,
)
from notifications.texts import external
from portal.models import Brand

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}
STATUSES = [str(status) for status in NotificationStatus]

# Written out rather than read from ALLOWED_MOVES, so that a change to the table fails here.
ALLOWED = {
    ("queued", "sending"),
    ("queued", "awaiting"),  # an SMS accepted after the sweeper re-queued its send
    ("queued", "delivered"),  # a delivery after the fallback delay re-queued the notification
    ("queued", "failed"),
    ("sending", "queued"),
    ("sending", "awaiting"),
    ("sending", "delivered"),
    ("sending", "failed"),
    ("awaiting", "queued"),
    ("awaiting", "delivered"),
    ("awaiting", "not_delivered"),
    ("awaiting", "failed"),
    ("not_delivered", "delivered"),
    ("not_delivered", "failed"),
    ("failed", "delivered"),
}
PAIRS = list(product(STATUSES, repeat=2))


def allowed(old: str, new: str) -> bool:
    return old == new or (old, new) in ALLOWED  # staying put is no move


def test_the_table_names_fifteen_moves_of_thirty_between_distinct_statuses() -> None:
    assert len(STATUSES) == 6
    assert len([(old, new) for old, new in PAIRS if old != new and allowed(old, new)]) == 15


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_each_pair_of_statuses_is_a_move_the_table_allows_or_refuses(old: str, new: str) -> None:
    if allowed(old, new):
        move_check(old, new)
    else:
        with pytest.raises(StatusMoveError) as refused:
            move_check(old, new)
        assert (refused.value.old, refused.value.new) == (old, new)
        assert refused.value.field == "status"


def test_a_delivered_notification_moves_nowhere() -> None:
    for new in STATUSES:
        if new != "delivered":
            with pytest.raises(StatusMoveError):
                move_check("delivered", new)


# --- Through the writers, against the database -------------------------------------------------------------


@pytest.fixture
def notification(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> Notification:
    approve_template("shipping_notice")
    make_member("M1", "0912-345-678")
    return notification_accept(
        brand=brand, request=SendRequest(template="shipping_notice", member="M1", variables=VARIABLES)
    )


def outcome(notification: Notification, status: str) -> Fields:
    """The fields of the outcome that ends in ``status``, as the pipeline's writers build them."""
    now = timezone.now()
    if status == "queued":
        return queued_fields()
    if status == "sending":
        return sending_fields(channel=notification.channel_plan[0])
    if status == "awaiting":
        return awaiting_fields(notification, channel=notification.channel_plan[0], at=now)
    if status == "delivered":
        return delivered_fields(channel=notification.channel_plan[0], at=now)
    return final_fields(status=status, reason=external("test"))


def at_status(notification: Notification, status: str) -> Notification:
    Notification.objects.filter(pk=notification.pk).update(status=status)
    return Notification.objects.select_related("template_version").get(pk=notification.pk)


def stored_status(notification: Notification) -> str:
    return Notification.objects.values_list("status", flat=True).get(pk=notification.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("old", STATUSES)
def test_the_single_writer_saves_each_allowed_move_and_nothing_of_a_refused_one(
    notification: Notification, old: str
) -> None:
    for new in STATUSES:
        row = at_status(notification, old)
        fields = outcome(row, new)
        if allowed(old, new):
            notification_write(row, fields)
            assert stored_status(row) == row.status == new
        else:
            with pytest.raises(StatusMoveError):
                notification_write(row, fields)
            assert stored_status(row) == row.status == old  # neither saved nor set on the instance


@pytest.mark.django_db
@pytest.mark.parametrize("old", STATUSES)
def test_the_bulk_writers_save_each_allowed_move_and_nothing_of_a_refused_one(
    notification: Notification, old: str
) -> None:
    now = timezone.now()
    for new in STATUSES:
        row = at_status(notification, old)
        fields = outcome(row, new)
        if allowed(old, new):
            notifications_write_rows([(row.pk, old, fields)], at=now)
            assert stored_status(row) == new
            row = at_status(notification, old)
            assert notifications_write([row.pk], source=old, fields=fields, at=now) == 1
            assert stored_status(row) == new
        else:
            with pytest.raises(StatusMoveError):
                notifications_write_rows([(row.pk, old, fields)], at=now)
            with pytest.raises(StatusMoveError):
                notifications_write([row.pk], source=old, fields=fields, at=now)
            assert stored_status(row) == old


@pytest.mark.django_db
def test_the_guarded_bulk_update_leaves_rows_that_moved_on(notification: Notification) -> None:
    row = at_status(notification, "delivered")
    assert notifications_write([row.pk], source="sending", fields=outcome(row, "awaiting"), at=timezone.now()) == 0
    assert stored_status(row) == "delivered"


@pytest.mark.django_db
def test_one_refused_row_writes_nothing_of_its_batch(
    brand: Brand, notification: Notification, make_member: Callable[..., Member]
) -> None:
    make_member("M2", "0922-000-111")
    other = notification_accept(
        brand=brand, request=SendRequest(template="shipping_notice", member="M2", variables=VARIABLES)
    )
    delivered = at_status(other, "delivered")
    fields = outcome(notification, "failed")
    with pytest.raises(StatusMoveError), transaction.atomic():
        notifications_write_rows(
            [(notification.pk, "queued", fields), (delivered.pk, "delivered", fields)], at=timezone.now()
        )
    assert stored_status(notification) == "queued"
    assert stored_status(delivered) == "delivered"


@pytest.mark.django_db
def test_a_notification_is_written_queued_or_not_at_all(
    brand: Brand, notification: Notification, make_member: Callable[..., Member]
) -> None:
    member = make_member("M2", "0922-000-111")
    version = notification.template_version
    built = notification_build(
        brand=brand,
        request=SendRequest(template="shipping_notice", variables=VARIABLES),
        version=version,
        member=member,
    )
    built.status = NotificationStatus.SENDING
    with pytest.raises(StatusMoveError):
        notifications_create([built])
    assert Notification.objects.count() == 1
    assert NotificationEvent.objects.count() == 1  # the first notification's "queued" line


@pytest.mark.django_db
def test_a_delivered_notification_cannot_be_failed_afterwards(notification: Notification) -> None:
    row = at_status(notification, "delivered")
    with pytest.raises(StatusMoveError), transaction.atomic():
        notification_finish(row, NotificationStatus.FAILED, external("too late"))
    assert stored_status(row) == "delivered"
    assert not NotificationEvent.objects.filter(notification=row, kind="failed").exists()


# --- What came of a request: the outcome writers -------------------------------------------------------------


def sending_on(notification: Notification, channel: str, reference: str) -> Attempt:
    """The notification claimed and its request sent on ``channel``, the answer not yet recorded."""
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENDING, channel=channel)
    return Attempt.objects.create(
        notification=notification, channel=channel, reference=reference, sent_at=timezone.now()
    )


def counted(brand: Brand, channel: str, metric: str) -> int:
    return sum(DeliveryStat.objects.filter(brand=brand, channel=channel, metric=metric).values_list("count", flat=True))


@pytest.mark.django_db
def test_a_failed_pnp_is_recorded_and_its_sms_queued_after_the_commit(
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    brand: Brand,
    notification: Notification,
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr("notifications.services.outcomes.enqueue_dispatch", enqueued.extend)
    attempt = sending_on(notification, Channel.PNP, "tag-failed-pnp")
    error = "LINE 500: " + "x" * 400
    with django_capture_on_commit_callbacks(execute=True):
        channel_failed(notification, attempt, 500, error)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.http_status, attempt.error) == (AttemptStatus.FAILED, 500, error[:300])
    assert attempt.answered_at is not None
    event = NotificationEvent.objects.get(notification=notification, kind=EventKind.LINE_ERROR)
    assert (event.detail, event.attempt_id) == (error[:300], attempt.pk)
    assert stored_status(notification) == NotificationStatus.QUEUED and enqueued == [notification.pk]
    assert counted(brand, Channel.PNP, Metric.SMS_FALLBACK) == 1
    assert counted(brand, Channel.PNP, Metric.FAILED) == 0


@pytest.mark.django_db
def test_a_failed_sms_on_the_last_channel_fails_the_notification_with_its_error(
    monkeypatch: pytest.MonkeyPatch, brand: Brand, notification: Notification
) -> None:
    monkeypatch.setattr("notifications.services.outcomes.enqueue_dispatch", lambda ids: pytest.fail("no channel left"))
    Attempt.objects.create(notification=notification, channel=Channel.PNP, reference="tag-pnp", status="refused")
    attempt = sending_on(notification, Channel.SMS, "tag-failed-sms")
    channel_failed(notification, attempt, None, "vendor refused the number")
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.final_reason) == (NotificationStatus.FAILED, "vendor refused the number")
    kinds = list(row.events.exclude(kind=EventKind.QUEUED).order_by("id").values_list("kind", "detail", "attempt"))
    assert kinds == [
        (EventKind.SMS_FAILED, "vendor refused the number", attempt.pk),
        (EventKind.FAILED, "vendor refused the number", None),
    ]
    attempt.refresh_from_db()
    assert (attempt.status, attempt.http_status) == (AttemptStatus.FAILED, None)
    assert counted(brand, Channel.SMS, Metric.FAILED) == 1
    assert counted(brand, Channel.SMS, Metric.SMS_FALLBACK) == 0


@pytest.mark.django_db
def test_a_notification_not_delivered_is_ended_without_a_failure_line_or_count(
    brand: Brand, notification: Notification
) -> None:
    row = at_status(notification, NotificationStatus.AWAITING_DELIVERY)
    notification_finish(row, NotificationStatus.NOT_DELIVERED, external("no delivery event in 24 h"))
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.final_reason) == (NotificationStatus.NOT_DELIVERED, "no delivery event in 24 h")
    assert not row.events.filter(kind=EventKind.FAILED).exists()
    assert not DeliveryStat.objects.filter(metric=Metric.FAILED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["wait", "fallback_now"])
def test_a_pnp_without_lines_answer_is_ambiguous_and_waits_or_falls_back_as_the_policy_says(
    settings: Any, notification: Notification, policy: str
) -> None:
    settings.PNP_AMBIGUOUS_POLICY = policy
    attempt = sending_on(notification, Channel.PNP, "tag-ambiguous")
    before = timezone.now()
    pnp_ambiguous(notification, attempt, "read timeout")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.error) == (AttemptStatus.AMBIGUOUS, "read timeout")
    assert attempt.answered_at is not None and attempt.answered_at >= before
    row = Notification.objects.get(pk=notification.pk)
    assert row.status == NotificationStatus.AWAITING_DELIVERY
    assert row.expires_at == attempt.answered_at + timedelta(hours=24) / settings.LINE_TIME_FACTOR
    planned = attempt.answered_at + timedelta(minutes=240) / settings.LINE_TIME_FACTOR
    assert row.fallback_due_at == (attempt.answered_at if policy == "fallback_now" else planned)
    event = row.events.get(kind=EventKind.AMBIGUOUS)
    assert event.attempt_id == attempt.pk
    assert event.detail == f"read timeout; policy {policy}"


@pytest.mark.django_db
def test_an_ambiguous_answer_after_the_delivery_event_keeps_the_delivery(notification: Notification) -> None:
    attempt = sending_on(notification, Channel.PNP, "tag-late-answer")
    delivered_at = timezone.now()
    Attempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.DELIVERED, delivered_at=delivered_at)
    at_status(notification, NotificationStatus.DELIVERED)
    error = "read timeout: " + "y" * 400
    pnp_ambiguous(notification, attempt, error)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.error) == (AttemptStatus.DELIVERED, error[:300])
    assert attempt.answered_at is not None
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.expires_at, row.fallback_due_at) == (NotificationStatus.DELIVERED, None, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "kind"), [(Channel.PNP, EventKind.LINE_RETRY), (Channel.SMS, EventKind.SMS_FAILED)]
)
def test_a_request_that_sent_nothing_is_queued_again_and_retried_until_the_last_retry(
    notification: Notification, channel: str, kind: str
) -> None:
    attempt = sending_on(notification, channel, "tag-retry")
    Attempt.objects.filter(pk=attempt.pk).update(retries=MAX_RETRIES - 1)
    error = "LINE 429: too many requests " + "z" * 400
    with pytest.raises(RetryLater) as retry:
        attempt_release_for_retry(notification, attempt, error, 7.5)
    assert (retry.value.notification_id, retry.value.retries, retry.value.retry_after) == (
        notification.pk,
        MAX_RETRIES,
        7.5,
    )
    attempt.refresh_from_db()
    assert (attempt.retries, attempt.error, attempt.sent_at, attempt.answered_at) == (
        MAX_RETRIES,
        error[:300],
        None,
        None,
    )
    assert attempt.status == AttemptStatus.PENDING
    assert stored_status(notification) == NotificationStatus.QUEUED
    event = NotificationEvent.objects.get(notification=notification, kind=kind)
    assert event.attempt_id == attempt.pk and event.detail.startswith("LINE 429: too many requests")


@pytest.mark.django_db
def test_after_the_last_retry_the_pnp_gives_up_and_the_sms_is_queued(
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    brand: Brand,
    notification: Notification,
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr("notifications.services.outcomes.enqueue_dispatch", enqueued.extend)
    attempt = sending_on(notification, Channel.PNP, "tag-give-up")
    Attempt.objects.filter(pk=attempt.pk).update(retries=MAX_RETRIES)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_release_for_retry(notification, attempt, "LINE 500", None)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.retries, attempt.error, attempt.sent_at) == (
        AttemptStatus.FAILED,
        MAX_RETRIES + 1,
        "LINE 500",
        None,
    )
    assert attempt.answered_at is not None
    event = NotificationEvent.objects.get(notification=notification, kind=EventKind.LINE_ERROR)
    assert (event.detail, event.attempt_id) == (f"gave up after {MAX_RETRIES} retries: LINE 500", attempt.pk)
    assert not NotificationEvent.objects.filter(notification=notification, kind=EventKind.LINE_RETRY).exists()
    assert stored_status(notification) == NotificationStatus.QUEUED and enqueued == [notification.pk]
    assert counted(brand, Channel.PNP, Metric.SMS_FALLBACK) == 1


@pytest.mark.django_db
def test_after_the_last_retry_of_the_last_channel_the_notification_fails(
    monkeypatch: pytest.MonkeyPatch, brand: Brand, notification: Notification
) -> None:
    monkeypatch.setattr("notifications.services.outcomes.enqueue_dispatch", lambda ids: pytest.fail("no channel left"))
    Attempt.objects.create(notification=notification, channel=Channel.PNP, reference="tag-pnp", status="refused")
    attempt = sending_on(notification, Channel.SMS, "tag-sms-give-up")
    Attempt.objects.filter(pk=attempt.pk).update(retries=MAX_RETRIES)
    attempt_release_for_retry(notification, attempt, "vendor unreachable", None)
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.final_reason) == (NotificationStatus.FAILED, "vendor unreachable")
    kinds = list(row.events.exclude(kind=EventKind.QUEUED).order_by("id").values_list("kind", "detail"))
    assert kinds == [
        (EventKind.SMS_FAILED, f"gave up after {MAX_RETRIES} retries: vendor unreachable"),
        (EventKind.FAILED, "vendor unreachable"),
    ]
    assert counted(brand, Channel.SMS, Metric.FAILED) == 1


def delivered_on(notification: Notification, channel: str, reference: str, *, sent_seconds_ago: int) -> Attempt:
    """An attempt on ``channel`` sent that long ago whose delivery has just come in, marked as the callers mark it."""
    now = timezone.now()
    return Attempt.objects.create(
        notification=notification,
        channel=channel,
        reference=reference,
        status=AttemptStatus.DELIVERED,
        sent_at=now - timedelta(seconds=sent_seconds_ago),
        delivered_at=now,
    )


def record_delivery(notification: Notification, attempt: Attempt) -> None:
    """Record the delivery of ``attempt`` on the notification as stored now, as the webhooks do."""
    assert attempt.delivered_at is not None
    row = Notification.objects.select_related("template_version").get(pk=notification.pk)
    delivery_record(row, attempt, attempt.delivered_at)


def metric_total(brand: Brand, metric: str, channel: str | None = None) -> int:
    stats = DeliveryStat.objects.filter(brand=brand, metric=metric)
    if channel is not None:
        stats = stats.filter(channel=channel)
    return sum(stats.values_list("count", flat=True))


@pytest.mark.django_db
def test_a_delivery_ends_the_wait_on_its_channel_and_is_counted_once(brand: Brand, notification: Notification) -> None:
    attempt = sending_on(notification, Channel.PNP, "tag-delivered")
    Attempt.objects.filter(pk=attempt.pk).delete()
    row = Notification.objects.get(pk=notification.pk)
    notification_write(row, awaiting_fields(row, channel=Channel.PNP, at=timezone.now()))
    assert row.fallback_due_at is not None and row.expires_at is not None
    attempt = delivered_on(row, Channel.PNP, "tag-delivered", sent_seconds_ago=30)
    record_delivery(notification, attempt)
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.delivered_at, row.delivered_channel, row.final_reason) == (
        NotificationStatus.DELIVERED,
        attempt.delivered_at,
        Channel.PNP,
        "",
    )
    assert (row.fallback_due_at, row.expires_at, row.delivered_twice) == (None, None, False)
    lines = list(row.events.exclude(kind=EventKind.QUEUED).values_list("kind", "detail", "attempt"))
    assert lines == [(EventKind.DELIVERED, "LINE notification message (PNP)", attempt.pk)]
    assert metric_total(brand, Metric.DELIVERED, Channel.PNP) == 1
    assert 30 <= metric_total(brand, Metric.LATENCY_SECONDS, Channel.PNP) <= 31
    assert metric_total(brand, Metric.DELIVERED_BY_SEND, Channel.PNP) == 1
    assert metric_total(brand, Metric.TEMPLATED_DELIVERED_BY_SEND) == 0
    assert metric_total(brand, Metric.DELIVERED_TWICE) == 0


@pytest.mark.django_db
def test_a_line_templates_pnp_delivery_is_counted_apart_for_lines_template_count(
    brand: Brand, notification: Notification
) -> None:
    TemplateVersion.objects.filter(pk=notification.template_version_id).update(kind=TemplateKind.LINE_TEMPLATE)
    sending_on(notification, Channel.PNP, "tag-template").delete()
    attempt = delivered_on(notification, Channel.PNP, "tag-template", sent_seconds_ago=5)
    record_delivery(notification, attempt)
    assert metric_total(brand, Metric.TEMPLATED_DELIVERED_BY_SEND, Channel.PNP) == 1
    assert metric_total(brand, Metric.DELIVERED_BY_SEND) == 0
    assert metric_total(brand, Metric.DELIVERED, Channel.PNP) == 1


@pytest.mark.django_db
def test_a_second_channels_delivery_is_delivered_twice_counted_and_written_once(
    brand: Brand, notification: Notification
) -> None:
    sending_on(notification, Channel.PNP, "tag-first").delete()
    pnp = delivered_on(notification, Channel.PNP, "tag-first", sent_seconds_ago=10)
    record_delivery(notification, pnp)
    sms = delivered_on(notification, Channel.SMS, "tag-second", sent_seconds_ago=5)
    record_delivery(notification, sms)
    row = Notification.objects.get(pk=notification.pk)
    assert (row.status, row.delivered_channel, row.delivered_at, row.delivered_twice) == (
        NotificationStatus.DELIVERED,
        Channel.PNP,
        pnp.delivered_at,
        True,
    )
    lines = list(row.events.exclude(kind=EventKind.QUEUED).order_by("id").values_list("kind", "detail", "attempt"))
    assert lines == [
        (EventKind.DELIVERED, "LINE notification message (PNP)", pnp.pk),
        (EventKind.DELIVERED_TWICE, "SMS delivered too; the member may have received the notice twice", sms.pk),
    ]
    assert metric_total(brand, Metric.DELIVERED_TWICE, Channel.SMS) == 1
    assert metric_total(brand, Metric.DELIVERED, Channel.SMS) == 1
    # A third delivery adds its own count but no second "delivered twice".
    push = delivered_on(notification, Channel.LINE_PUSH, "tag-third", sent_seconds_ago=1)
    record_delivery(notification, push)
    assert metric_total(brand, Metric.DELIVERED_TWICE) == 1
    assert row.events.filter(kind=EventKind.DELIVERED_TWICE).count() == 1
    assert metric_total(brand, Metric.DELIVERED, Channel.LINE_PUSH) == 1


@pytest.mark.django_db
def test_a_delivery_on_a_notification_already_delivered_by_its_status_alone_is_delivered_twice(
    brand: Brand, notification: Notification
) -> None:
    first = timezone.now() - timedelta(minutes=1)
    notification_write(
        Notification.objects.get(pk=notification.pk), delivered_fields(channel=Channel.LINE_PUSH, at=first)
    )
    sms = delivered_on(notification, Channel.SMS, "tag-late-sms", sent_seconds_ago=5)
    record_delivery(notification, sms)
    row = Notification.objects.get(pk=notification.pk)
    assert (row.delivered_channel, row.delivered_at, row.delivered_twice) == (Channel.LINE_PUSH, first, True)
    assert not row.events.filter(kind=EventKind.DELIVERED).exists()
    assert metric_total(brand, Metric.DELIVERED_TWICE, Channel.SMS) == 1


# --- Nobody else writes them ------------------------------------------------------------------------------

PACKAGE = Path(notifications.__file__).parent
WRITER = PACKAGE / "services" / "states.py"
QUERYSET_WRITES = ("create", "bulk_create", "get_or_create", "update_or_create", "update", "delete")
RAW_UPDATE = re.compile(r"update\s+\W?notifications?(_notification)?\b", re.IGNORECASE)


def _names_notification(node: ast.AST) -> bool:
    """Whether the expression names a notification (``notification``, ``Notification``, ``notifications``…)."""
    names = (
        n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)
    )
    return any(name.lower().startswith("notification") for name in names)


def _root(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def state_writes(source: str) -> set[int]:
    """The lines that write a notification's status or timeline themselves, not through the states module."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Attribute) and element.attr == "status":
                        if _names_notification(element.value):
                            lines.add(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            first = node.args[0] if node.args else None
            if (
                (name == "update" and "status" in keywords and _root(func) == "Notification")
                or (
                    name in ("bulk_set", "bulk_set_rows", "bulk_update", "bulk_insert", "bulk_create")
                    and first
                    and _names_notification(first)
                )
                or (  # a save without update_fields writes the status too
                    name == "save"
                    and isinstance(func, ast.Attribute)
                    and _names_notification(func.value)
                    and ("update_fields" not in keywords or "status" in _strings(keywords["update_fields"]))
                )
                or (name in ("Notification", "create") and "status" in keywords and _root(func) == "Notification")
                or name == "NotificationEvent"
                or (name in QUERYSET_WRITES and _root(func) == "NotificationEvent")
            ):
                lines.add(node.lineno)
        elif isinstance(node, ast.Constant | ast.JoinedStr) and RAW_UPDATE.search(ast.unparse(node)):
            lines.add(node.lineno)
    return lines


def test_the_check_finds_each_way_of_writing_status_or_timeline() -> None:
    source = """
notification.status = "queued"
notification.status, notification.channel = "sending", "pnp"
Notification.objects.filter(pk=1).update(status="failed")
notification.save(update_fields=["status", "updated_at"])
notification.save(force_insert=True)
bulk_set_rows(Notification, ["status"], rows)
bulk_insert([NotificationEvent(notification_id=1, kind="queued")])
NotificationEvent.objects.create(notification=notification, kind="queued")
NotificationEvent.objects.filter(notification=notification).delete()
sql = f"UPDATE {notifications} SET status = %s WHERE id = %s"
Notification.objects.create(status="sending")
"""
    assert state_writes(source) == set(range(2, 13))


def test_the_check_passes_attempt_writes_and_reads_and_finds_the_states_modules_writes() -> None:
    source = """
attempt.status = "failed"
attempt.save(update_fields=["status", "answered_at"])
Attempt.objects.filter(pk=1).update(status="accepted")
bulk_set_rows(Attempt, ["status", "delivered_at"], rows)
notification_write(notification, queued_fields())
sql = f"UPDATE {attempts} SET sent_at = %s WHERE id = %s"
events = NotificationEvent.objects.select_related("attempt").order_by("at", "id")
"""
    assert state_writes(source) == set()
    assert state_writes(WRITER.read_text())  # where the writes are


def test_no_other_module_writes_a_notifications_status_or_timeline() -> None:
    packages = [path for path in PACKAGE.parent.iterdir() if (path / "__init__.py").exists() and path.name != "tests"]
    assert PACKAGE in packages
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for package in packages
        for path in package.rglob("*.py")
        if path != WRITER and "migrations" not in path.parts
        for line in state_writes(path.read_text())
    }
    assert offenders == set()


def test_a_refused_attempt_reads_in_the_portals_words_and_any_other_error_as_it_came() -> None:
    # attempt_error_text is the reason a member's "why not delivered" shows; built from unsaved rows.
    from notifications.services.outcomes import REFUSED_422, attempt_error_text
    from notifications.texts import external, text

    refused = Attempt(channel=Channel.PNP, status=AttemptStatus.REFUSED, error=REFUSED_422)
    assert attempt_error_text(refused) == text("pnp.refused_422")
    failed = Attempt(channel=Channel.SMS, status=AttemptStatus.FAILED, error="vendor: 503")
    assert attempt_error_text(failed) == external("vendor: 503")
    assert attempt_error_text(Attempt(channel=Channel.PNP, status=AttemptStatus.FAILED, error="")) == text(
        "final.no_channel"
    )


def test_only_a_refused_attempt_with_the_422_error_reads_in_the_portals_words_for_a_422() -> None:
    # a refusal for another reason, or the 422 words on an attempt that was not refused, read as they came
    from notifications.services.outcomes import REFUSED_422, attempt_error_text
    from notifications.texts import text

    refused_otherwise = Attempt(channel=Channel.PNP, status=AttemptStatus.REFUSED, error="LINE 400: invalid to")
    assert attempt_error_text(refused_otherwise) == external("LINE 400: invalid to")
    assert attempt_error_text(refused_otherwise) != text("pnp.refused_422")
    failed_with_422_words = Attempt(channel=Channel.PNP, status=AttemptStatus.FAILED, error=REFUSED_422)
    assert attempt_error_text(failed_with_422_words) == external(REFUSED_422)
