"""Binding end to end over HTTP: the LINE sandbox, a real worker, the portal on a live server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from binding.choices import WelcomeStatus
from binding.models import BindingSettings, WelcomeMessage
from compliance.models import TemplateVersion
from members.choices import ConsentPurpose, ConsentSource
from members.models import LineLink, Member, UnlinkedLineFollower
from members.services import consent_record, line_link_bind
from notifications.choices import Channel, NotificationStatus
from notifications.models import Notification, WebhookEvent
from portal.models import Brand
from tests.conftest import wait_for
from tests.notifications.conftest import Pipeline

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

UID = "U" + "c" * 32
BOUND_UID = "U" + "d" * 32
LINK_RE = re.compile(r"https://liff\.line\.me/1650000000-bind\?token=(\S+)")


def send(portal_url: str, key: str, member: Member, template: str) -> int:
    response = requests.post(
        f"{portal_url}/api/v1/notifications",
        json={
            "template": template,
            "member": member.external_id,
            "variables": {"order_id": f"A{member.external_id}", "event_time": "2026-11-25 10:00"},
        },
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def delivered(notification_id: int) -> Notification | None:
    notification = Notification.objects.get(pk=notification_id)
    return notification if notification.status == NotificationStatus.DELIVERED else None


def line_records(pipeline: Pipeline, kind: str, to: str | None = None) -> list[dict[str, Any]]:
    return [r for r in pipeline.sandbox.records(kind=kind) if r["status"] == 200 and (to is None or r["to"] == to)]


def follow(pipeline: Pipeline, brand: Brand, uid: str, *, unfollow: bool = False) -> None:
    path = "/sandbox/users/unfollow" if unfollow else "/sandbox/users/follow"
    pipeline.sandbox.admin(path, {"channel_id": brand.line_channel_id, "uid": uid})


def test_a_member_invited_by_pnp_binds_and_is_then_reached_by_line_push(
    start_pipeline: Callable[..., Pipeline],
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    api_key_for: Callable[[Brand], str],
    brand: Brand,
) -> None:
    # given: a member the brand reaches by PNP, whose LINE account is not a friend yet
    approve_template("shipping_notice")
    member = make_member("B1", "0911-000-031")
    pipeline = start_pipeline([{"phone": "+886911000031", "uid": UID, "consent": "on", "sms_verified_days_ago": 10}])
    key = api_key_for(brand)

    # when: a notice with a bind link goes out
    invite_id = send(pipeline.portal_url, key, member, "shipping_bind")

    # then: it is delivered by PNP and its text carries the member's bind link
    invite = wait_for(lambda: delivered(invite_id), timeout=60, interval=0.3)
    assert isinstance(invite, Notification)
    assert invite.delivered_channel == Channel.PNP
    assert len(line_records(pipeline, "pnp")) == 1
    match = LINK_RE.search(invite.line_messages[0]["text"])
    assert match is not None
    token = match.group(1)

    # when: the member adds the OA as a friend (the sandbox sends the follow event) ...
    follow(pipeline, brand, UID)
    wait_for(
        lambda: UnlinkedLineFollower.objects.filter(brand=brand, uid=UID, is_friend=True).exists(),
        timeout=30,
        interval=0.2,
    )
    # ... and the brand's binding page posts the token with the member's UID and consent
    response = requests.post(
        f"{pipeline.portal_url}/api/v1/members/{member.external_id}/line-binding",
        json={"token": token, "uid": UID, "evidence": "LIFF consent checkbox", "notice_version": "2026-01"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )

    # then: the member is bound, a friend, and the next notice goes by LINE push, not PNP
    assert response.status_code == 201, response.text
    link = LineLink.objects.get(member=member)
    assert (link.uid, link.is_bound, link.is_friend, link.is_blocked) == (UID, True, True, False)
    next_id = send(pipeline.portal_url, key, member, "shipping_notice")
    notice = wait_for(lambda: delivered(next_id), timeout=60, interval=0.3)
    assert isinstance(notice, Notification)
    assert notice.delivered_channel == Channel.LINE_PUSH
    assert notice.channel_plan[0] == Channel.LINE_PUSH
    assert len(line_records(pipeline, "pnp")) == 1  # no second PNP
    pushes = line_records(pipeline, "push", to=UID)
    assert any(r["tag"] == notice.attempts.get().reference for r in pushes)


def test_an_unbound_follower_is_welcomed_once_per_period_and_a_bound_one_not_at_all(
    start_pipeline: Callable[..., Pipeline],
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    make_member: Callable[..., Member],
    brand: Brand,
) -> None:
    # given: one LINE user nobody bound yet, and one bound to a member; LINE time runs at wall speed
    bound = make_member("B2", "0911-000-032")
    consent = consent_record(
        member=bound, purpose=ConsentPurpose.LINE_BINDING, granted=True, source=ConsentSource.APP, actor="test"
    )
    line_link_bind(member=bound, uid=BOUND_UID, consent=consent, actor="test")
    users = [
        {"phone": "+886911000041", "uid": UID, "consent": "on", "sms_verified_days_ago": 10},
        {"phone": "+886911000032", "uid": BOUND_UID, "consent": "on", "sms_verified_days_ago": 10},
    ]
    pipeline = start_pipeline(users, sandbox_args=["--time-factor", "1"], extra_env={"LINE_TIME_FACTOR": "1"})

    # when: both follow
    follow(pipeline, brand, UID)
    follow(pipeline, brand, BOUND_UID)

    # then: the unbound one gets the welcome by reply (its reply token is fresh), the bound one nothing
    welcome = wait_for(
        lambda: WelcomeMessage.objects.filter(uid=UID, status=WelcomeStatus.SENT).first(), timeout=30, interval=0.2
    )
    assert isinstance(welcome, WelcomeMessage)
    assert welcome.sent_via == "reply"
    assert [r["to"] for r in line_records(pipeline, "reply")] == [UID]
    wait_for(lambda: WebhookEvent.objects.filter(processed_at__isnull=False).count() == 2, timeout=30, interval=0.2)

    # when: the unbound user blocks the OA and unblocks it again
    follow(pipeline, brand, UID, unfollow=True)
    wait_for(
        lambda: UnlinkedLineFollower.objects.filter(brand=brand, uid=UID, is_blocked=True).exists(),
        timeout=30,
        interval=0.2,
    )
    follow(pipeline, brand, UID)

    # then: "blocked" is cleared, and no second welcome goes out in the same period
    wait_for(lambda: WebhookEvent.objects.filter(processed_at__isnull=False).count() == 4, timeout=30, interval=0.2)
    follower = UnlinkedLineFollower.objects.get(brand=brand, uid=UID)
    assert (follower.is_friend, follower.is_blocked) == (True, False)
    assert WelcomeMessage.objects.count() == 1
    assert len(line_records(pipeline, "reply")) + len(line_records(pipeline, "push")) == 1
    assert not line_records(pipeline, "push", to=BOUND_UID)
