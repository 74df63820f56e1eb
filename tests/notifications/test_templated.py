"""Template PNP through the send pipeline: a LINE template goes to LINE's template endpoint.

End to end over HTTP (API → real worker → LINE sandbox → delivery webhook), plus the
dispatch service with the client patched, for the rate limit's endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from compliance.choices import Channel as TemplateChannel
from compliance.choices import TemplateKind
from compliance.models import TemplateVersion
from integrations import line as line_client
from integrations import sending
from members.models import Member
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.models import DeliveryStat, Notification
from notifications.services import dispatch
from notifications.services.accepting import SendRequest, notification_accept
from notifications.services.dispatch import notifications_dispatch
from portal.models import Brand
from tests.conftest import wait_for
from tests.notifications.conftest import Pipeline

LINE_TEMPLATE: dict[str, Any] = {
    "kind": TemplateKind.LINE_TEMPLATE,
    "text": "",
    "line_template_key": "shipment_completed_ja",
    "emphasized_item_key": "date_002_ja",
    "emphasized_item": "{ship_date}",
    "line_items": [{"key": "number_001_ja", "value": "訂單 {order_id}"}],
    "line_buttons": [{"key": "contact_ja", "url": "https://shop.acme.example/orders/{order_id}"}],
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A20260101"},
        {"name": "ship_date", "type": "date", "sample": "2026-01-01"},
    ],
    "channels": [TemplateChannel.PNP, TemplateChannel.SMS],
    "sms_text": "【Acme】訂單 {order_id} 已於 {ship_date} 出貨。若您已收到商品，請忽略此訊息。",
    "sms_fallback_delay_minutes": 240,
}
VARIABLES = {"order_id": "A123", "ship_date": "2026-11-25"}


def world_user(n: int) -> dict[str, Any]:
    return {"phone": f"+8869120{n:05d}", "uid": "U" + f"{n:032x}", "consent": "on", "sms_verified_days_ago": 10}


def send(client: APIClient, member: Member) -> int:
    response = client.post(
        "/api/v1/notifications",
        {"template": "shipped_tpl", "member": member.external_id, "variables": VARIABLES},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 202, response.content
    return int(response.json()["id"])


def final(ids: list[int]) -> bool:
    return not Notification.objects.filter(
        pk__in=ids,
        status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING, NotificationStatus.AWAITING_DELIVERY],
    ).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_a_line_template_is_sent_as_template_pnp_and_settled_by_its_delivery_event(
    start_pipeline: Callable[..., Pipeline],
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    api_client: APIClient,
) -> None:
    # given a LINE template, a member on LINE and one whose number has no LINE user
    approve_template("shipped_tpl", **LINE_TEMPLATE)
    pipeline = start_pipeline([world_user(1)])
    on_line, not_on_line = make_member("T1", "0912-000-001"), make_member("T2", "0912-000-099")
    # when both are sent
    ids = [send(api_client, on_line), send(api_client, not_on_line)]
    wait_for(lambda: final(ids), timeout=90, interval=0.5)
    # then the first went to LINE's template endpoint (202) and its delivery event settled it
    delivered = Notification.objects.get(pk=ids[0])
    assert delivered.status == NotificationStatus.DELIVERED
    assert delivered.delivered_channel == Channel.PNP
    attempt = delivered.attempts.get()
    assert (attempt.status, attempt.http_status) == (AttemptStatus.DELIVERED, 202)
    records = pipeline.sandbox.records(kind="templated")
    assert [r["tag"] for r in records if r["tag"] == attempt.reference] == [attempt.reference]
    assert pipeline.sandbox.records(kind="pnp") == []  # nothing went to the flexible endpoint
    # and the portal counts it apart from flexible PNP, in its send hour (LINE's count day)
    by_send = dict(
        DeliveryStat.objects.filter(
            channel=Channel.PNP, metric__in=[Metric.DELIVERED_BY_SEND, Metric.TEMPLATED_DELIVERED_BY_SEND]
        ).values_list("metric", "count")
    )
    assert by_send == {Metric.TEMPLATED_DELIVERED_BY_SEND: 1}
    # and LINE's 422 for the second moved it on to SMS, as for a flexible PNP
    refused = Notification.objects.get(pk=ids[1])
    assert list(refused.attempts.values_list("channel", "status")) == [
        (Channel.PNP, AttemptStatus.REFUSED),
        (Channel.SMS, AttemptStatus.DELIVERED),
    ]
    assert refused.events.filter(kind=EventKind.LINE_REFUSED).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
@pytest.mark.parametrize("fault", ["templated:accept_500:next=2", "templated:500:next=2"])
def test_a_template_pnp_answered_500_is_never_sent_again(
    start_pipeline: Callable[..., Pipeline],
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    api_client: APIClient,
    fault: str,
) -> None:
    # given a LINE that answers 500 to the next two template PNPs (after delivering them, or not)
    approve_template("shipped_tpl", **LINE_TEMPLATE)
    pipeline = start_pipeline(
        [world_user(1), world_user(2)], sandbox_args=["--faults", fault], extra_env={"LINE_API_READ_TIMEOUT": "1"}
    )
    members = [make_member("T1", "0912-000-001"), make_member("T2", "0912-000-002")]
    # when both are sent
    ids = [send(api_client, member) for member in members]
    wait_for(lambda: final(ids), timeout=120, interval=0.5)
    # then each went to LINE once: ambiguous, never resent, delivered on one channel or the other
    for notification in Notification.objects.filter(pk__in=ids):
        assert notification.events.filter(kind=EventKind.AMBIGUOUS).exists()
        pnp = notification.attempts.get(channel=Channel.PNP)
        assert pnp.retries == 0
        assert notification.status == NotificationStatus.DELIVERED
        assert not notification.delivered_twice
    assert len(pipeline.sandbox.records(kind="templated")) == len(ids)


@pytest.mark.django_db
def test_dispatch_sends_a_line_template_through_the_template_endpoints_rate_limit(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a queued LINE template notification, and the client patched at its one seam
    approve_template("shipped_tpl", **LINE_TEMPLATE)
    member = make_member("T1", "0912-000-001")
    notification = notification_accept(
        brand=brand, request=SendRequest(template="shipped_tpl", member=member.external_id, variables=VARIABLES)
    )
    sent: list[dict[str, Any]] = []
    tokens: list[str] = []

    def flexible(**request: Any) -> str:
        raise AssertionError("a LINE template must not go to /bot/pnp/push")

    monkeypatch.setattr(line_client, "pnp_push", flexible)
    monkeypatch.setattr(line_client, "pnp_templated_push", lambda **request: sent.append(request) or "req-1")
    monkeypatch.setattr(dispatch, "line_token_take", lambda endpoint, **kwargs: tokens.append(endpoint))
    # when it is dispatched
    assert notifications_dispatch(notification_ids=[notification.pk]) == []
    # then LINE's template request went out, its token taken for the template endpoint
    assert tokens == [sending.TEMPLATED]
    (request,) = sent
    assert request["template_key"] == "shipment_completed_ja"
    assert request["body"] == {
        "emphasizedItem": {"itemKey": "date_002_ja", "content": "2026-11-25"},
        "items": [{"itemKey": "number_001_ja", "content": "訂單 A123"}],
        "buttons": [{"buttonKey": "contact_ja", "url": "https://shop.acme.example/orders/A123"}],
    }
    attempt = notification.attempts.get()
    assert request["delivery_tag"] == attempt.reference
    assert (attempt.status, attempt.http_status) == (AttemptStatus.ACCEPTED, 202)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.AWAITING_DELIVERY
