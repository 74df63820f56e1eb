"""SMS vendors' delivery reports: Mitake by GET or POST (keyed by the unguessable reference), the sandbox signed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from compliance.models import TemplateVersion
from integrations.signatures import line_signature
from members.models import Member
from notifications.choices import AttemptStatus, Channel, NotificationStatus
from notifications.models import Attempt, Notification
from notifications.services import SendRequest, notification_accept, sms_account_create_or_update
from portal.models import Brand

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_sent(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> Attempt:
    """A notification whose SMS the vendor accepted a minute ago (message id 0300000001)."""
    approve_template("shipping_notice")
    make_member("S1", "0912-345-678")
    notification = notification_accept(
        brand=brand,
        request=SendRequest(
            template="shipping_notice", member="S1", variables={"order_id": "A1", "event_time": "2026-12-01 10:00"}
        ),
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.AWAITING_DELIVERY, channel=Channel.SMS
    )
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    return Attempt.objects.create(
        notification=notification,
        channel=Channel.SMS,
        reference=str(uuid.uuid4()),
        vendor_message_id="0300000001",
        status=AttemptStatus.ACCEPTED,
        sent_at=a_minute_ago,
        answered_at=a_minute_ago,
        accepted_at=a_minute_ago,
    )


REPORT = {"msgid": "0300000001", "dstaddr": "0912345678", "statuscode": "0", "statusstr": "DELIVRD", "StatusFlag": "4"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_mitakes_report_by_get_or_post_marks_the_sms_delivered_and_is_acknowledged(
    sms_sent: Attempt, method: str
) -> None:
    response = getattr(Client(), method)(f"/webhooks/sms/mitake/{sms_sent.reference}", REPORT)
    assert response.status_code == 200
    assert response.content.decode().startswith("magicid=sms_gateway_rpack")
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.DELIVERED
    assert Notification.objects.get(pk=sms_sent.notification_id).status == NotificationStatus.DELIVERED


def test_a_mitake_report_for_a_reference_nobody_sent_is_404_and_changes_nothing(sms_sent: Attempt) -> None:
    response = Client().get(f"/webhooks/sms/mitake/{uuid.uuid4()}", REPORT)
    assert response.status_code == 404
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.ACCEPTED


def test_a_mitake_report_without_its_fields_is_400_and_other_methods_405(sms_sent: Attempt) -> None:
    assert Client().get(f"/webhooks/sms/mitake/{sms_sent.reference}", {"msgid": "0300000001"}).status_code == 400
    assert Client().put(f"/webhooks/sms/mitake/{sms_sent.reference}", REPORT).status_code == 405


@pytest.mark.parametrize(
    "report",
    [
        {"msgid": "03\x0000001", "StatusFlag": "4"},
        {"msgid": "0300000001", "StatusFlag": "4", "statusstr": "DELIVRD\x00"},
    ],
)
def test_a_mitake_report_by_post_holding_a_nul_or_a_lone_surrogate_is_400_and_changes_nothing(
    sms_sent: Attempt, report: dict[str, str]
) -> None:
    # The NUL guard on the address does not see a form body; PostgreSQL cannot hold a NUL.
    body = urlencode(report)
    response = Client().post(
        f"/webhooks/sms/mitake/{sms_sent.reference}", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.ACCEPTED


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"x"',
        b"null",
        b"1",
        b"[" * 5000 + b"]" * 5000,
        b'{"message_id": "03\\u00001", "status": "DELIVERED"}',
        b'{"message_id": 300000001, "status": "DELIVERED"}',
    ],
    ids=["list", "string", "null", "number", "deep", "nul", "number_id"],
)
def test_a_signed_sandbox_report_that_is_not_an_object_of_strings_is_400(
    brand: Brand, sms_sent: Attempt, body: bytes
) -> None:
    sms_account_create_or_update(
        brand=brand, actor="test", password="gateway-key", vendor="sandbox", base_url="http://127.0.0.1:1", username="u"
    )
    signature = line_signature(channel_secret="gateway-key", body=body)
    response = Client().post(
        f"/webhooks/sms/sandbox/{sms_sent.reference}",
        body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=signature,
    )
    assert response.status_code == 400
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.ACCEPTED


def test_the_sandbox_gateways_report_needs_the_accounts_signature(brand: Brand, sms_sent: Attempt) -> None:
    sms_account_create_or_update(
        brand=brand, actor="test", password="gateway-key", vendor="sandbox", base_url="http://127.0.0.1:1", username="u"
    )
    body = json.dumps({"message_id": "0300000001", "status": "DELIVERED"}).encode()
    url = f"/webhooks/sms/sandbox/{sms_sent.reference}"
    forged = Client().post(url, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE="Zm9yZ2Vk")
    assert forged.status_code == 403
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.ACCEPTED
    signature = line_signature(channel_secret="gateway-key", body=body)
    signed = Client().post(url, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature)
    assert signed.status_code == 200
    sms_sent.refresh_from_db()
    assert sms_sent.status == AttemptStatus.DELIVERED
