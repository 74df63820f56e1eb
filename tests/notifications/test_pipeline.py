"""The send pipeline end to end over HTTP: API → real worker → LINE sandbox → webhooks → outcome.

One wall second is one hour of LINE time (sandbox and portal agree), so the 4-hour SMS
fallback delay fires after 4 s and LINE's 24-hour window closes after 24 s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record, line_link_bind, line_link_update
from notifications.choices import Channel, EventKind, NotificationStatus
from notifications.models import Notification
from portal.models import Brand
from tests.conftest import wait_for
from tests.notifications.conftest import Pipeline

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

UID_H = "U" + "a" * 32


def send(client: APIClient, member: Member, template: str = "shipping_notice") -> int:
    response = client.post(
        "/api/v1/notifications",
        {
            "template": template,
            "member": member.external_id,
            "variables": {"order_id": f"A{member.external_id}", "event_time": "2026-11-25 10:00"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 202, response.content
    return int(response.json()["id"])


def outcome(notification_id: int) -> Notification:
    return Notification.objects.get(pk=notification_id)


def test_every_member_is_notified_on_the_right_channel_exactly_once(
    start_pipeline: Callable[..., Pipeline],
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    api_client: APIClient,
    brand: Brand,
) -> None:
    # given: one member for each outcome of LINE_PNP_API.md §5, and a bound friend
    approve_template("shipping_notice")
    approve_template("bill_notice", sms_fallback_delay_minutes=None)
    channel = brand.line_channel_id
    users: list[dict[str, Any]] = [
        {"phone": "+886911000001", "uid": "U" + "1" * 32, "consent": "on", "sms_verified_days_ago": 10},
        {"phone": "+886911000003", "uid": "U" + "3" * 32, "consent": "off", "sms_verified_days_ago": 10},
        {
            "phone": "+886911000004",
            "uid": "U" + "4" * 32,
            "consent": "on",
            "sms_verified_days_ago": 10,
            "channels": {channel: {"friend": False, "blocked": True}},
        },
        {
            "phone": "+886911000005",
            "uid": "U" + "5" * 32,
            "consent": "unset",
            "sms_verified_days_ago": 10,
            "acts_after_minutes": 10,
        },
        {
            "phone": "+886911000006",
            "uid": "U" + "6" * 32,
            "consent": "unset",
            "sms_verified_days_ago": 10,
            "acts_after_minutes": 600,
        },
        {
            "phone": "+886911000007",
            "uid": "U" + "7" * 32,
            "consent": "on",
            "sms_verified_days_ago": 200,
            "acts_after_minutes": None,
        },
        {
            "phone": "+886911000008",
            "uid": UID_H,
            "consent": "on",
            "sms_verified_days_ago": 10,
            "channels": {channel: {"friend": True, "blocked": False}},
        },
    ]
    members = {
        name: make_member(name, f"0911-000-00{digit}")
        for name, digit in [("A", 1), ("B", 2), ("C", 3), ("D", 4), ("E", 5), ("F", 6), ("G", 7), ("H", 8)]
    }
    binding = consent_record(
        member=members["H"],
        purpose=ConsentPurpose.LINE_BINDING,
        granted=True,
        source=ConsentSource.APP,
        evidence="LIFF consent",
        actor="test",
    )
    line_link_bind(member=members["H"], uid=UID_H, consent=binding, actor="test")
    line_link_update(brand=brand, uid=UID_H, is_friend=True, is_blocked=False)
    pipeline = start_pipeline(users)

    # when
    ids = {
        name: send(api_client, member, "bill_notice" if name == "G" else "shipping_notice")
        for name, member in members.items()
    }

    # then: everything reaches its state in LINE time
    def settled() -> bool:
        states = {name: outcome(i) for name, i in ids.items()}
        return (
            all(states[n].status == NotificationStatus.DELIVERED for n in "ABCDEFH")
            and states["F"].delivered_twice
            and states["G"].status == NotificationStatus.NOT_DELIVERED
        )

    def describe() -> str:
        lines = []
        for name, i in ids.items():
            n = outcome(i)
            events = ", ".join(n.events.values_list("kind", flat=True))
            lines.append(f"{name}: {n.status} {n.delivered_channel} twice={n.delivered_twice} [{events}]")
        return "\n".join(lines)

    wait_for(settled, timeout=60, interval=0.5, describe=describe)
    delivered_by = {name: outcome(i).delivered_channel for name, i in ids.items()}
    assert delivered_by == {
        "A": Channel.PNP,
        "B": Channel.SMS,
        "C": Channel.SMS,
        "D": Channel.SMS,
        "E": Channel.PNP,
        "F": Channel.SMS,
        "G": "",
        "H": Channel.LINE_PUSH,
    }

    def channels_tried(name: str) -> list[str]:
        return list(outcome(ids[name]).attempts.order_by("id").values_list("channel", flat=True))

    assert channels_tried("A") == ["pnp"]  # no SMS follows a delivered PNP
    assert channels_tried("E") == ["pnp"]
    assert channels_tried("B") == ["pnp", "sms"] and channels_tried("C") == ["pnp", "sms"]
    assert channels_tried("D") == ["pnp", "sms"] and channels_tried("F") == ["pnp", "sms"]
    assert channels_tried("G") == ["pnp"]
    assert channels_tried("H") == ["line_push"]  # a bound friend never gets a PNP
    assert outcome(ids["F"]).delivered_twice and not outcome(ids["A"]).delivered_twice
    assert not outcome(ids["D"]).delivered_twice  # D's PNP never arrived: one delivery, by SMS
    assert outcome(ids["G"]).events.filter(kind=EventKind.EXPIRED).exists()
    assert outcome(ids["G"]).final_reason_code == "final.expired"  # read in each reader's language
    for name in "BC":
        members[name].refresh_from_db()
        assert members[name].needs_phone_confirmation

    # and LINE delivered no PNP twice
    summary = pipeline.sandbox.inspect(summary=1)["summary"]
    assert summary["keys_delivered_more_than_once"] == 0
    assert summary["deliveries"] == 3  # A, E and F by PNP; B, C, D, G never by PNP


def test_a_forged_delivery_event_changes_nothing(
    start_pipeline: Callable[..., Pipeline],
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    api_client: APIClient,
) -> None:
    import requests

    approve_template("shipping_notice")
    member = make_member("A", "0911-000-001")
    pipeline = start_pipeline(
        [
            {
                "phone": "+886911000001",
                "uid": "U" + "1" * 32,
                "consent": "on",
                "sms_verified_days_ago": 10,
                "channels": {},
            }
        ],
        sandbox_args=["--faults", "pnp:slow=1.0@0.2s"],
    )
    notification_id = send(api_client, member)
    tag = wait_for(lambda: outcome(notification_id).attempts.values_list("reference", flat=True).first())
    event = {
        "type": "delivery",
        "delivery": {"data": tag},
        "webhookEventId": "01FORGED",
        "timestamp": 1,
        "mode": "active",
        "deliveryContext": {"isRedelivery": False},
    }
    forged = json.dumps({"destination": "U0", "events": [event]})
    response = requests.post(
        f"{pipeline.portal_url}/webhooks/line/{member.brand.slug}",
        data=forged,
        headers={"x-line-signature": "Zm9yZ2Vk", "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 403
    wait_for(lambda: outcome(notification_id).status == NotificationStatus.DELIVERED, timeout=30)
    notification = outcome(notification_id)
    assert not notification.delivered_twice
    assert notification.attempts.get().delivered_at is not None
