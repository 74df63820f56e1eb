"""The notification page tells the story; the evidence pack proves it; search finds it; SMS now, once."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from compliance.models import TemplateVersion
from integrations import line as line_client
from members.models import Member
from notifications.choices import AttemptStatus, Channel, NotificationStatus
from notifications.exceptions import NotificationRefused
from notifications.models import Attempt, Notification
from notifications.services import SendRequest, notification_accept, notifications_dispatch, webhook_events_drain
from notifications.services.manual import notification_sms_now
from notifications.story import member_notifications_section, redact
from portal.models import AuditEvent, Brand
from tests.conftest import PASSWORD
from tests.notifications.test_webhooks import event, post_signed

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}
PAGE = "/admin/notifications/notification/{}/change/"
LIST = "/admin/notifications/notification/"


@pytest.fixture
def sent(
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Notification]:
    """A PNP accepted and sent (LINE answered 200); ``delivered=True`` adds LINE's delivery event."""
    approve_template("shipping_notice")
    monkeypatch.setattr(line_client, "pnp_push", lambda **kwargs: "request-id")

    def send(external_id: str = "M1", phone: str = "0912-345-678", *, delivered: bool = False) -> Notification:
        member = make_member(external_id, phone)
        notification = notification_accept(
            brand=brand, request=SendRequest(template="shipping_notice", member=external_id, variables=VARIABLES)
        )
        assert notifications_dispatch(notification_ids=[notification.pk]) == []
        if delivered:
            tag = notification.attempts.get().reference
            post_signed(
                Client(), brand, {"destination": "U0", "events": [event(f"ev-{external_id}", delivery={"data": tag})]}
            )
            webhook_events_drain()
        notification.refresh_from_db()
        assert notification.member == member
        return notification

    return send


def _page(client: Client, user: User, notification: Notification) -> str:
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(PAGE.format(notification.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_timeline_attempt_event_routing_preview_and_cost(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    notification = sent(delivered=True)
    tag = notification.attempts.get().reference
    body = _page(client, manager, notification)
    # the timeline, with times, queued → sent → delivered
    assert '<ol class="story-milestones" id="milestones">' in body
    for milestone in ("queued", "sent", "delivered by LINE notification message (PNP)"):
        assert f"<strong>{milestone}</strong>" in body
    # the attempt: channel, LINE's status code, the delivery tag and the event that settled it
    assert "LINE notification message (PNP) — delivered" in body
    assert '<dd class="attempt-code">200</dd>' in body
    assert f"<code>{tag}</code>" in body
    assert "Settled by LINE's webhook event" in body and "<code>ev-M1</code>" in body
    assert f"<th>delivery.data</th><td>{tag}</td>" in body
    # the routing: the plan and why LINE push is not used
    assert "Planned at acceptance: LINE notification message (PNP) → SMS" in body
    assert "Phone number and LINE account are not bound." in body
    # what the member saw, as the review page renders it; no raw Flex JSON
    assert 'class="line-bubble' in body and "A123" in body
    assert "line_messages" not in body and '"type":' not in body
    # the cost: one delivered PNP on LINE's JST count day
    assert "1 delivered PNP, counted by LINE on the JST day" in body
    # delivered once: no "delivered twice" mark
    assert 'id="delivered-twice"' not in body


def test_delivered_twice_is_shown_only_when_line_delivered_twice(
    client: Client, manager: User, brand: Brand, sent: Callable[..., Notification]
) -> None:
    notification = sent(delivered=True)
    tag = notification.attempts.get().reference
    post_signed(Client(), brand, {"destination": "U0", "events": [event("ev-again", delivery={"data": tag})]})
    webhook_events_drain()
    notification.refresh_from_db()
    assert notification.delivered_twice
    assert 'id="delivered-twice"' in _page(client, manager, notification)


def test_responses_and_payloads_are_redacted() -> None:
    assert redact("401 Bearer abc.def token=xyz") == "401 Bearer [redacted] token=[redacted]"
    assert redact({"accessToken": "s3", "delivery": {"data": "t"}}) == {
        "accessToken": "[redacted]",
        "delivery": {"data": "t"},
    }


def test_another_brands_manager_gets_404_on_the_page_and_the_downloads(
    client: Client, other_manager: User, sent: Callable[..., Notification]
) -> None:
    notification = sent()
    assert client.login(username=other_manager.username, password=PASSWORD)
    for url in (
        PAGE.format(notification.pk),
        f"{LIST}{notification.pk}/evidence.json",
        f"{LIST}{notification.pk}/evidence.pdf",
    ):
        assert client.get(url).status_code in (302, 404), url
    assert client.post(f"{LIST}{notification.pk}/sms-now/").status_code == 404
    assert not notification.attempts.filter(channel=Channel.SMS).exists()


# --- the evidence pack -------------------------------------------------------------------------


def test_the_evidence_pack_holds_consent_template_review_requests_event_and_count_day(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    notification = sent(delivered=True)
    assert client.login(username=manager.username, password=PASSWORD)
    response = client.get(f"{LIST}{notification.pk}/evidence.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    pack = json.loads(response.content)
    assert [c["purpose"] for c in pack["consents"]] == ["pnp_notification"]
    assert pack["consents"][0] | {"captured_at": None} == {
        "purpose": "pnp_notification",
        "granted": True,
        "source": "api",
        "evidence": "test",
        "notice_version": "",
        "captured_at": None,
        "captured_by": "test",
    }
    version = pack["template_version"]
    assert (version["author"], version["reviewers"], version["status"]) == ("author", ["approver"], "approved")
    [attempt] = pack["requests"]
    assert attempt["channel"] == "pnp" and attempt["response"]["code"] == "200"
    assert attempt["request"]["to"] == "0912-***-678" and "912345678" not in response.content.decode()
    assert attempt["delivery_event"]["event_id"] == "ev-M1"
    assert attempt["delivery_event"]["payload"]["delivery"]["data"] == attempt["delivery_tag"]
    sent_at = Attempt.objects.get(notification=notification).sent_at
    assert pack["billing"]["pnp_delivered"] == 1
    assert sent_at is not None
    assert pack["billing"]["line_count_day_jst"] == sent_at.astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()


def test_the_evidence_pdf_reads_back_with_the_same_facts(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    notification = sent(delivered=True)
    assert client.login(username=manager.username, password=PASSWORD)
    response = client.get(f"{LIST}{notification.pk}/evidence.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = "".join(text.split())
    assert f"Evidencepackofnotification#{notification.pk}" in compact
    assert "pnp_notification" in compact and "ev-M1" in compact
    assert "approver" in compact and "line_count_day_jst" in compact
    assert notification.attempts.get().reference in compact


# --- search -----------------------------------------------------------------------------------


def _ids(client: Client, term: str, **params: str) -> tuple[set[int], str]:
    response = client.get(LIST, {"q": term, **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return {n.pk for n in response.context["cl"].result_list}, response.content.decode()


@pytest.mark.parametrize("written", ["0912-345-678", "+886 912 345 678", "０９１２３４５６７８", "phone:886912345678"])
def test_a_phone_number_finds_the_members_notifications_however_it_is_written(
    client: Client, manager: User, sent: Callable[..., Notification], written: str
) -> None:
    mine, other = sent("M1", "0912-345-678"), sent("M2", "0912-000-111")
    assert client.login(username=manager.username, password=PASSWORD)
    found, _body = _ids(client, written)
    assert found == {mine.pk} and other.pk not in found


def test_a_malformed_phone_number_says_so_and_searches_nothing(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    sent()
    assert client.login(username=manager.username, password=PASSWORD)
    found, body = _ids(client, "0912-345")
    assert found == set()
    assert "Phone number: 0912-345: too short" in body and "Nothing was searched." in body


def test_member_number_id_tag_template_status_channel_and_days_each_find_the_notification(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    mine, other = sent("M1", "0912-345-678"), sent("M2", "0912-000-111")
    tag = mine.attempts.get().reference
    day = mine.created_at.astimezone(ZoneInfo("Asia/Taipei")).date().isoformat()
    assert client.login(username=manager.username, password=PASSWORD)
    assert _ids(client, "M1")[0] == {mine.pk}
    assert _ids(client, f"#{mine.pk}")[0] == {mine.pk}
    assert _ids(client, f"id:{other.pk}")[0] == {other.pk}
    assert _ids(client, tag)[0] == {mine.pk}
    assert _ids(client, "", template="shipping_notice")[0] == {mine.pk, other.pk}
    assert _ids(client, "", template="other")[0] == set()
    assert _ids(client, "", status=NotificationStatus.AWAITING_DELIVERY)[0] == {mine.pk, other.pk}
    assert _ids(client, "", status=NotificationStatus.DELIVERED)[0] == set()
    assert _ids(client, "", channel=Channel.PNP)[0] == {mine.pk, other.pk}
    assert _ids(client, "", since=day, until=day)[0] == {mine.pk, other.pk}
    assert _ids(client, "", since="2020-01-01", until="2020-01-02")[0] == set()
    found, body = _ids(client, "", since="01/12/2026")
    assert found == set() and "From: 01/12/2026 is not a day; write it as YYYY-MM-DD" in body


def test_another_brands_ids_and_tags_find_nothing(
    client: Client, other_manager: User, sent: Callable[..., Notification]
) -> None:
    mine = sent("M1", "0912-345-678")
    assert client.login(username=other_manager.username, password=PASSWORD)
    for term in (f"#{mine.pk}", mine.attempts.get().reference, "M1", "0912345678"):
        assert _ids(client, term)[0] == set(), term


# --- send by SMS now ----------------------------------------------------------------------------


def test_sms_now_queues_the_sms_once_with_an_audit_row(
    client: Client, manager: User, sent: Callable[..., Notification], django_capture_on_commit_callbacks: Any
) -> None:
    notification = sent()
    body = _page(client, manager, notification)
    assert ">Send by SMS now</button>" in body
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"{LIST}{notification.pk}/sms-now/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and len(callbacks) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED and notification.fallback_due_at is None
    assert AuditEvent.objects.filter(action="notification.sms_now", object_id=str(notification.pk)).count() == 1
    assert "sent by SMS now at the request of manager" in _page(client, manager, notification)
    # a second press is refused: the notification is no longer a PNP awaiting delivery
    with pytest.raises(NotificationRefused):
        notification_sms_now(notification_id=notification.pk, actor=manager)
    assert AuditEvent.objects.filter(action="notification.sms_now").count() == 1


def test_sms_now_is_refused_after_a_delivery_and_without_sms_consent(
    manager: User, sent: Callable[..., Notification], make_member: Callable[..., Member]
) -> None:
    delivered = sent("D1", "0912-345-678", delivered=True)
    with translation.override("en"), pytest.raises(NotificationRefused, match="already delivered"):
        notification_sms_now(notification_id=delivered.pk, actor=manager)
    waiting = sent("W1", "0912-000-111")
    Member.objects.filter(pk=waiting.member_id).update(sms_consent=False)
    with translation.override("en"), pytest.raises(NotificationRefused, match="withdrew SMS consent"):
        notification_sms_now(notification_id=waiting.pk, actor=manager)
    assert Notification.objects.get(pk=waiting.pk).status == NotificationStatus.AWAITING_DELIVERY
    assert not Attempt.objects.filter(channel=Channel.SMS).exists()
    assert Attempt.objects.get(notification=waiting).status == AttemptStatus.ACCEPTED


def test_sms_now_is_not_offered_to_a_reviewer(
    client: Client, reviewer: User, sent: Callable[..., Notification]
) -> None:
    notification = sent()
    body = _page(client, reviewer, notification)
    assert "Send by SMS now</button>" not in body
    assert client.post(f"{LIST}{notification.pk}/sms-now/").status_code == 403


# --- the member page's send history --------------------------------------------------------------


def test_the_member_page_lists_the_members_notifications_latest_first_linked(
    client: Client, manager: User, brand: Brand, sent: Callable[..., Notification]
) -> None:
    first = sent("M1", "0912-345-678")
    second = notification_accept(
        brand=brand, request=SendRequest(template="shipping_notice", member="M1", variables=VARIABLES)
    )
    other = sent("M2", "0912-000-111")
    assert client.login(username=manager.username, password=PASSWORD)
    body = client.get(f"/admin/members/member/{first.member_id}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = body[body.index('id="member-notifications"') :]
    links = [f'<a href="{PAGE.format(n.pk)}">#{n.pk}</a>' for n in (second, first)]
    assert links[0] in section and links[1] in section
    assert section.index(links[0]) < section.index(links[1])  # latest first
    assert f"#{other.pk}</a>" not in section


def test_the_send_history_section_is_left_out_for_a_reader_without_notifications(
    rf: Any, manager: User, make_user: Callable[..., User], sent: Callable[..., Notification]
) -> None:
    notification = sent()
    request = rf.get("/")
    request.user = make_user("no-notifications")  # staff, but no role: no view_notification
    assert member_notifications_section(request, notification.member) is None
    request.user = manager
    assert f"#{notification.pk}</a>" in str(member_notifications_section(request, notification.member))


def test_a_line_template_pnp_shows_what_its_request_carried_row_by_row(
    client: Client,
    manager: User,
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    from tests.notifications.test_templated import LINE_TEMPLATE
    from tests.notifications.test_templated import VARIABLES as TEMPLATE_VARIABLES

    approve_template("shipping_template", **LINE_TEMPLATE)
    make_member("T1", "0912-345-678")
    notification = notification_accept(
        brand=brand,
        request=SendRequest(template="shipping_template", member="T1", variables=TEMPLATE_VARIABLES),
    )
    body = _page(client, manager, notification)
    assert 'class="line-bubble line-template"' in body
    assert "訂單 A123" in body and "shipment_completed_ja" in body


def test_content_removed_at_the_end_of_retention_is_said_so(
    client: Client, manager: User, sent: Callable[..., Notification]
) -> None:
    notification = sent()
    Notification.objects.filter(pk=notification.pk).update(
        content_purged_at=notification.created_at, variables={}, sms_text="", line_messages=[]
    )
    body = _page(client, manager, Notification.objects.get(pk=notification.pk))
    assert "The content was removed at the end of its retention period." in body
    assert "A123" not in body


def test_a_pnp_refused_then_delivered_by_sms_shows_both_attempts_the_reports_and_the_sms_cost(
    client: Client,
    manager: User,
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given LINE refuses the PNP (422) and the SMS vendor accepts, then reports it delivered
    from decimal import Decimal

    from integrations.sms.base import SmsDeliveryReport, SmsSendResult
    from notifications.models import SmsVendor
    from notifications.services import dispatch, sms_account_create_or_update, sms_report_apply

    approve_template("shipping_notice")
    make_member("S1", "0912-345-678")
    sms_account_create_or_update(
        brand=brand,
        actor="test",
        password="pa55-word",
        vendor=SmsVendor.MITAKE,
        base_url="https://smsb2c.mitake.com.tw/b2c/mtk",
        username="acme",
        price_per_segment=Decimal("0.9"),
    )

    def refuse(**kwargs: object) -> str:
        raise line_client.LineRefusedError("LINE refused the PNP (422)", status=422)

    class Vendor:
        def send(self, **kwargs: object) -> SmsSendResult:
            return SmsSendResult(message_id="MK-1", segments=2)

    monkeypatch.setattr(line_client, "pnp_push", refuse)
    monkeypatch.setattr(dispatch, "backend_for", lambda vendor: Vendor())
    notification = notification_accept(
        brand=brand, request=SendRequest(template="shipping_notice", member="S1", variables=VARIABLES)
    )
    notifications_dispatch(notification_ids=[notification.pk])
    notifications_dispatch(notification_ids=[notification.pk])
    sms = notification.attempts.get(channel=Channel.SMS)
    report = SmsDeliveryReport(message_id="MK-1", delivered=True, final=True, status="DELIVRD")
    assert sms_report_apply(vendor=SmsVendor.MITAKE, reference=sms.reference, report=report)
    # when
    body = _page(client, manager, Notification.objects.get(pk=notification.pk))
    # then
    assert "LINE notification message (PNP) — refused" in body and '<dd class="attempt-code">422</dd>' in body
    assert "SMS — delivered" in body and '<dd class="attempt-code">DELIVRD</dd>' in body
    assert "Vendor&#x27;s delivery report" in body or "Vendor's delivery report" in body
    assert "2 SMS segments × 0.9000 TWD = 1.80 TWD" in body
    assert "No delivered PNP: nothing to bill for LINE." in body
    assert "pa55-word" not in body
