"""Batch acceptance: the same answer per item as one request at a time, in a fixed number of queries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from compliance.choices import UseCase
from compliance.models import TemplateVersion
from compliance.services import template_suspend
from members.models import Member
from notifications.api.serializers import accepted_body
from notifications.choices import EventKind, Metric
from notifications.models import DeliveryStat, IdempotencyKey, Notification, NotificationEvent
from notifications.services import SendRequest
from notifications.services.batches import BatchItem, BatchOutcome, _accept_one_by_one, notifications_accept_batch
from notifications.services.idempotency import fingerprint
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


def item(key: str, **request: Any) -> BatchItem:
    request.setdefault("template", "shipping_notice")
    request.setdefault("variables", VARIABLES)
    return BatchItem(key=key, request_hash=fingerprint(request), request=SendRequest(**request))


def summary(outcomes: list[BatchOutcome]) -> list[tuple[int, str, str, str]]:
    """What a brand sees per item: status, error field and code, or the accepted member."""
    rows = []
    for outcome in outcomes:
        if outcome.error is not None:
            rows.append((outcome.status, getattr(outcome.error, "field", ""), getattr(outcome.error, "code", ""), ""))
        else:
            assert outcome.body is not None
            rows.append((outcome.status, "", "replayed" if outcome.replayed else "", outcome.body["member"]))
    return rows


@pytest.fixture
def world(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
) -> list[BatchItem]:
    """A batch with every kind of answer, and keys one earlier request already used."""
    approve_template("shipping_notice")
    approve_template("visit_reminder", use_case=UseCase.RESERVATION_REMINDER)
    template_suspend(version=approve_template("paused_notice"), reason="complaint", actor="test")
    make_member("M1", "0912-345-678")
    make_member("M2", "0922-000-111")
    make_member("NOPNP", "0933-000-222", pnp=False, sms=False)
    erased = make_member("GONE", "0944-000-333")
    Member.objects.filter(pk=erased.pk).update(erased_at="2026-01-01T00:00:00Z")
    earlier = item("used-before", member="M2")
    IdempotencyKey.objects.create(
        brand=brand,
        key="used-before",
        request_hash=earlier.request_hash,
        status_code=202,
        response={"id": 1, "member": "M2"},
    )
    reminder = {"template": "visit_reminder", "reservation_key": "R1"}
    return [
        item("a", member="M1"),
        item("b", phone="+886 922 000 111"),
        item("c", phone="0912345678"),
        item("a", member="M1"),  # the same key and body again: the first answer
        item("a", member="M2"),  # the same key, another body: refused
        item("used-before", member="M2"),  # stored earlier: replayed
        item("used-before", member="M1"),  # stored earlier with another body: refused
        item("d", member="nobody"),
        item("e", member="GONE"),
        item("f", phone="not a number"),
        item("g", phone="0955-999-888"),
        item("h", member="NOPNP"),
        item("i", template="no_such_template", member="M1"),
        item("j", template="paused_notice", member="M1"),
        item("k", member="M1", variables={"order_id": "A123"}),
        item("l", member="M1", variables={**VARIABLES, "order_id": "x" * 21}),
        item("r1", member="M1", **reminder),
        item("r2", member="M2", **reminder),
        item("r3", member="M1", **reminder),  # the limit is two reminders per reservation
    ]


def test_a_batch_answers_each_item_as_one_request_at_a_time_would(brand: Brand, world: list[BatchItem]) -> None:
    with transaction.atomic():
        one_by_one = summary(_accept_one_by_one(brand, world, "test", accepted_body))
        transaction.set_rollback(True)
    together = notifications_accept_batch(brand=brand, items=world, submitted_by="test", respond=accepted_body)
    assert summary(together) == one_by_one
    assert [row[:3] for row in one_by_one] == [
        (202, "", ""),
        (202, "", ""),
        (202, "", ""),
        (202, "", "replayed"),
        (409, "Idempotency-Key", "idempotency_key_reused"),
        (202, "", "replayed"),
        (409, "Idempotency-Key", "idempotency_key_reused"),
        (422, "member", "member_unknown"),
        (422, "member", "member_unknown"),
        (422, "phone", "phone_invalid"),
        (422, "phone", "member_unknown"),
        (422, "member", "no_channel"),
        (422, "template", "template_unknown"),
        (422, "template", "template_suspended"),
        (422, "variables.event_time", "VALUE_MISSING"),
        (422, "variables.order_id", "VALUE_MAX_LENGTH"),
        (202, "", ""),
        (202, "", ""),
        (422, "reservation_key", "TIMING_REMINDER_LIMIT"),
    ]
    assert together[3].body == together[0].body  # the repeated key answers with the first notification


def test_what_a_batch_writes_matches_one_request_at_a_time(brand: Brand, world: list[BatchItem]) -> None:
    outcomes = notifications_accept_batch(brand=brand, items=world, submitted_by="test", respond=accepted_body)
    accepted = [o.body["id"] for o in outcomes if o.body and o.status == 202 and not o.replayed]
    notifications = Notification.objects.filter(pk__in=accepted)
    assert notifications.count() == Notification.objects.count() == 5
    for notification in notifications:
        assert notification.channel_plan and notification.channel == notification.channel_plan[0]
        assert notification.line_messages and notification.submitted_by == "test"
    kinds = NotificationEvent.objects.values_list("notification_id", "kind")
    assert sorted(kinds) == sorted((pk, EventKind.QUEUED) for pk in accepted)
    keys = IdempotencyKey.objects.filter(brand=brand).exclude(key="used-before")
    assert {k.key: k.response["id"] for k in keys} == {
        key: body["id"] for key, body in zip("abc", (o.body for o in outcomes[:3]), strict=True)
    } | {"r1": outcomes[16].body["id"], "r2": outcomes[17].body["id"]}  # type: ignore[index]
    stats = DeliveryStat.objects.filter(brand=brand, metric=Metric.ACCEPTED)
    assert sum(stats.values_list("count", flat=True)) == 5


def test_a_batch_costs_the_same_few_queries_whatever_its_size(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> None:
    approve_template("shipping_notice")
    for n in range(200):
        make_member(f"M{n}", f"0912-{n:03d}-000")

    def queries(keys: str, count: int) -> list[str]:
        items = [item(f"{keys}-{n}", member=f"M{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            outcomes = notifications_accept_batch(brand=brand, items=items, submitted_by="t", respond=accepted_body)
        assert [o.status for o in outcomes] == [202] * count
        return [query["sql"] for query in captured.captured_queries]

    small, large = queries("small", 10), queries("large", 200)
    reads = [sql for sql in large if sql.startswith("SELECT")]
    assert len(reads) <= len([sql for sql in small if sql.startswith("SELECT")])
    # SQLite splits a long INSERT by its bound-parameter limit; PostgreSQL takes it whole.
    assert len(large) <= 20, large  # one request at a time: about ten per notification


def test_a_key_another_request_stored_meanwhile_falls_back_to_one_at_a_time(
    brand: Brand, world: list[BatchItem]
) -> None:
    raced = False

    def respond_while_racing(notification: Notification) -> dict[str, Any]:
        nonlocal raced
        if not raced:  # another request stores key "c" between the batch's read and its write
            raced = True
            IdempotencyKey.objects.create(brand=brand, key="c", request_hash="x", status_code=202, response={})
        return accepted_body(notification)

    with transaction.atomic():
        expected = summary(_accept_one_by_one(brand, world, "test", accepted_body))
        transaction.set_rollback(True)
    outcomes = notifications_accept_batch(brand=brand, items=world, submitted_by="test", respond=respond_while_racing)
    assert raced
    assert summary(outcomes) == expected  # the racing row rolled back with the failed write
    assert Notification.objects.count() == 5  # nothing of the failed write is left


def test_the_batch_endpoint_answers_through_the_same_path(
    api_client: APIClient, world: list[BatchItem], brand: Brand
) -> None:
    body = [
        {"idempotency_key": "x1", "template": "shipping_notice", "member": "M1", "variables": VARIABLES},
        {"idempotency_key": "x2", "template": "shipping_notice", "phone": "0955-999-888", "variables": VARIABLES},
        {"template": "shipping_notice", "member": "M1", "variables": VARIABLES},
        {"idempotency_key": "x1", "template": "shipping_notice", "member": "M1", "variables": VARIABLES},
    ]
    response = api_client.post("/api/v1/notifications/batch", {"notifications": body}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 202), (1, 422), (2, 400), (3, 202)]
    assert results[1]["body"]["errors"][0]["field"] == "phone"
    assert results[2]["body"]["errors"][0]["field"] == "idempotency_key"
    assert results[3]["body"]["id"] == results[0]["body"]["id"]
    assert (response.json()["accepted"], response.json()["refused"]) == (2, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_key_another_request_committed_meanwhile_replays_the_winner(brand: Brand, world: list[BatchItem]) -> None:
    winner = {"id": 999_999, "member": "M1", "status": "queued"}
    c = next(i for i in world if i.key == "c")

    def commit_elsewhere() -> None:  # another web worker's request, on its own connection
        try:
            IdempotencyKey.objects.create(
                brand=brand, key="c", request_hash=c.request_hash, status_code=202, response=winner
            )
        finally:
            connection.close()

    def respond_while_racing(notification: Notification) -> dict[str, Any]:
        if not IdempotencyKey.objects.filter(key="c").exists():
            racer = threading.Thread(target=commit_elsewhere)
            racer.start()
            racer.join()
        return accepted_body(notification)

    outcomes = notifications_accept_batch(brand=brand, items=world, submitted_by="test", respond=respond_while_racing)
    replay = outcomes[world.index(c)]
    assert (replay.status, replay.body, replay.replayed) == (202, winner, True)
    assert Notification.objects.count() == 4  # the other four accepted items, once each
    assert IdempotencyKey.objects.get(key="c").response == winner
