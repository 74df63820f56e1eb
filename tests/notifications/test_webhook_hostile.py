"""One bad event never sinks LINE's signed request: good events are stored and applied, bad ones rejected.

Bodies are written as raw text (not ``json.dumps``) where the hostile part is something a
Python dict cannot hold (NaN, 5,000 levels of nesting), as an attacker or a broken proxy
would send them. On PostgreSQL (CI), a NUL or a lone surrogate that reached a row would fail
the whole insert; these tests run there too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from compliance.models import TemplateVersion
from integrations.signatures import line_signature
from members.models import Member
from notifications.choices import AttemptStatus, Channel, NotificationStatus, WebhookEventResult
from notifications.models import Attempt, Notification, WebhookEvent
from notifications.services import SendRequest, notification_accept, webhook_events_drain
from portal.models import Brand

pytestmark = pytest.mark.django_db(transaction=True)


def post_raw(brand: Brand, body: str) -> object:
    # A character from U+DC80 to U+DCFF stands for the byte it escapes (``surrogateescape``).
    raw = body.encode("utf-8", "surrogateescape")
    signature = line_signature(channel_secret=brand.channel_secret.reveal(), body=raw)
    return Client().post(
        f"/webhooks/line/{brand.slug}", raw, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )


def good_delivery(event_id: str, tag: str) -> str:
    return json.dumps(
        {
            "type": "delivery",
            "webhookEventId": event_id,
            "timestamp": 1764547200000,
            "mode": "active",
            "deliveryContext": {"isRedelivery": False},
            "delivery": {"data": tag},
        }
    )


def bad_event(event_id: str, **fields: str) -> str:
    """An event as raw JSON text; each keyword's value is put in as raw JSON too."""
    base = {
        "type": '"message"',
        "webhookEventId": json.dumps(event_id),
        "timestamp": "1764547200000",
        "deliveryContext": '{"isRedelivery": false}',
        "source": '{"type": "user", "userId": "U' + "1" * 32 + '"}',
        **fields,
    }
    return "{" + ", ".join(f'"{key}": {value}' for key, value in base.items()) + "}"


HOSTILE = {
    "nul_in_event_id": bad_event("unused", webhookEventId='"ev\\u0000il"'),
    "nan_timestamp": bad_event("ev-nan", timestamp="NaN"),
    "huge_timestamp": bad_event("ev-huge", timestamp="1" + "0" * 30),
    "string_delivery_context": bad_event("ev-ctx-s", deliveryContext='"redelivery"'),
    "list_delivery_context": bad_event("ev-ctx-l", deliveryContext="[true]"),
    "deep_nesting": bad_event("ev-deep", message="[" * 5000 + "]" * 5000),
    "not_an_object": '"just a string"',
    "lone_surrogate_string": '"\\ud800"',
    "raw_nul_byte_in_a_string": '{"type": "message", "webhookEventId": "ev-raw", "text": "a\x00b"}',
    # valid JSON numbers that Python reads as infinity, which PostgreSQL's JSON cannot hold
    "number_past_a_floats_range": bad_event("ev-inf", message='{"type": "text", "id": "1", "n": 1e400}'),
    "negative_number_past_a_floats_range": bad_event("ev-ninf", timestamp="-1e400"),
    # a byte that is not UTF-8 (0xFF) in one event's text
    "bytes_not_utf8": '{"type": "message", "webhookEventId": "ev-bytes", "text": "a\udcffb"}',
}


@pytest.fixture
def sent_pnp(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> Attempt:
    approve_template("shipping_notice")
    make_member("M1", "0912-000-001")
    notification = notification_accept(
        brand=brand,
        request=SendRequest(
            template="shipping_notice", member="M1", variables={"order_id": "A1", "event_time": "2026-12-01 10:00"}
        ),
    )
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.AWAITING_DELIVERY, channel=Channel.PNP
    )
    return Attempt.objects.create(
        notification=notification,
        channel=Channel.PNP,
        reference="tag-hostile-0001",
        status=AttemptStatus.ACCEPTED,
        sent_at=a_minute_ago,
        answered_at=a_minute_ago,
        accepted_at=a_minute_ago,
    )


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_bad_event_is_rejected_alone_and_the_good_delivery_beside_it_is_applied(
    brand: Brand, sent_pnp: Attempt, kind: str
) -> None:
    # given LINE's request with one good delivery and one hostile event
    body = '{"destination": "U' + "0" * 32 + '", "events": [' + good_delivery("ev-good", sent_pnp.reference)
    body += ", " + HOSTILE[kind] + "]}"
    # when
    response = post_raw(brand, body)
    webhook_events_drain()
    # then LINE is told 200, so it does not redeliver the good event
    assert response.status_code == 200  # type: ignore[attr-defined]
    good = WebhookEvent.objects.get(event_id="ev-good")
    assert good.result == WebhookEventResult.APPLIED
    sent_pnp.notification.refresh_from_db()
    assert sent_pnp.notification.status == NotificationStatus.DELIVERED
    rejected = WebhookEvent.objects.exclude(pk=good.pk).get()
    assert rejected.result == WebhookEventResult.REJECTED and rejected.detail
    assert rejected.event_id.startswith("rejected:")


@pytest.mark.parametrize("header", ["\xe9\xe9abc", "签名", "\x00"])
def test_a_signature_header_that_is_not_base64_text_is_refused_403(brand: Brand, header: str) -> None:
    # Django hands the header over as Latin-1 text; compare_digest takes ASCII text only.
    response = Client().post(
        f"/webhooks/line/{brand.slug}", b'{"events": []}', content_type="application/json", HTTP_X_LINE_SIGNATURE=header
    )
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_redelivered_bad_event_is_stored_once(brand: Brand) -> None:
    body = '{"events": [' + HOSTILE["nan_timestamp"] + "]}"
    assert post_raw(brand, body).status_code == 200  # type: ignore[attr-defined]
    assert post_raw(brand, body).status_code == 200  # type: ignore[attr-defined]
    assert WebhookEvent.objects.filter(result=WebhookEventResult.REJECTED).count() == 1


def test_a_nul_or_a_lone_surrogate_in_a_message_text_is_stored_replaced_and_the_event_kept(brand: Brand) -> None:
    body = '{"events": [' + bad_event("ev-text", message='{"type": "text", "id": "1", "text": "a\\u0000b\\ud800c"}')
    body += "]}"
    assert post_raw(brand, body).status_code == 200  # type: ignore[attr-defined]
    stored = WebhookEvent.objects.get(event_id="ev-text")
    assert stored.result == "" and stored.processed_at is None  # a good event, waiting for the drain
    assert stored.payload["message"]["text"] == "a\ufffdb\ufffdc"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[1, 2]", "body must be a JSON object with an 'events' array"),
        ('{"events": {"a": 1}}', "body must be a JSON object with an 'events' array"),
        ('{"events": [' + "[" * 5000, "body must be a JSON object with an 'events' array"),
        ("\xff\xfe", "body must be UTF-8 JSON"),
    ],
)
def test_a_body_without_an_events_array_is_refused_400_with_the_reason(brand: Brand, body: str, message: str) -> None:
    if body.startswith("\xff"):
        raw = b"\xff\xfe"
        signature = line_signature(channel_secret=brand.channel_secret.reveal(), body=raw)
        response = Client().post(
            f"/webhooks/line/{brand.slug}", raw, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
        )
    else:
        response = post_raw(brand, body)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json() == {"message": message}  # type: ignore[attr-defined]
    assert not WebhookEvent.objects.exists()
