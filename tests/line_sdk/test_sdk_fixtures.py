"""LINE's SDK's own webhook fixture (tests/line_sdk/data, Apache-2.0), signed and posted to the portal's webhook.

Every event LINE's SDK knows how to parse, plus one of a type it does not (`undefined`), must be answered
200, stored once each, and processed: applied, ignored or kept as rejected evidence, never a 500 and never
left unprocessed or failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhook import WebhookParser

from integrations.signatures import line_signature
from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.services import webhook_events_drain
from portal.models import Brand

FIXTURE = Path(__file__).parent / "data" / "sdk_webhook.json"


def sdk_body() -> bytes:
    return FIXTURE.read_bytes()


def post_signed(brand: Brand, body: bytes, *, secret: str | None = None) -> Any:
    signature = line_signature(channel_secret=secret or brand.channel_secret.reveal(), body=body)
    return Client(raise_request_exception=False).post(
        f"/webhooks/line/{brand.slug}", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )


def test_the_fixture_is_what_lines_sdk_itself_parses() -> None:
    # the copy is the SDK's own data: its parser reads every event, and only `undefined` is unknown to it
    parser = WebhookParser("secret", skip_signature_verification=lambda: True)  # the fixture is not signed
    parsed = parser.parse(sdk_body().decode(), "")
    assert len(parsed) == 28
    assert [e.type for e in parsed if isinstance(e, UnknownEvent)] == ["undefined"]


@pytest.mark.django_db
def test_the_fixture_as_it_is_stores_one_event_its_28_share_one_webhook_event_id(brand: Brand) -> None:
    # LINE's SDK fixture gives all 28 events the id "testwebhookeventid"; LINE says to de-duplicate on it
    response = post_signed(brand, sdk_body())
    assert response.status_code == 200, response.content[:300]
    (stored,) = WebhookEvent.objects.filter(brand=brand)
    assert (stored.event_id, stored.event_type) == ("testwebhookeventid", "message")


def with_unique_ids(payload: dict) -> bytes:
    """The fixture with each event given its own id, as LINE would send them."""
    events = [{**e, "webhookEventId": f"01SDKFIXTURE{i:014d}"} for i, e in enumerate(payload["events"])]
    return json.dumps({**payload, "events": events}, ensure_ascii=False).encode()


@pytest.mark.django_db
def test_every_event_of_the_sdks_fixture_is_answered_200_stored_once_and_processed(brand: Brand) -> None:
    # given LINE's SDK fixture, each event with its own id, signed with the brand's channel secret
    payload = json.loads(sdk_body())
    body = with_unique_ids(payload)
    # when it is posted to the portal's webhook
    response = post_signed(brand, body)
    # then it is answered 200 and every event is stored once, typed as LINE sent it (unknown kinds too)
    assert response.status_code == 200, response.content[:300]
    stored = list(WebhookEvent.objects.filter(brand=brand).order_by("event_id"))
    assert [e.event_type for e in stored] == [e["type"] for e in payload["events"]]
    # when the drain runs, every event is processed, none fails and none is left for later
    webhook_events_drain()
    results = {e.event_id: (e.event_type, e.result, e.detail) for e in WebhookEvent.objects.filter(brand=brand)}
    assert WebhookEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert {r for _, r, _ in results.values()} <= {
        WebhookEventResult.APPLIED,
        WebhookEventResult.IGNORED,
        WebhookEventResult.UNMATCHED,
        WebhookEventResult.REJECTED,
    }, results
    # follow and unfollow are applied; every other kind (messages, postbacks, `undefined`...) is ignored safely
    applied = sorted(t for t, r, _ in results.values() if r == WebhookEventResult.APPLIED)
    assert applied == ["follow", "unfollow"]
    assert all(r == WebhookEventResult.IGNORED for t, r, _ in results.values() if t not in applied)
    # and posting the same body again (a redelivery) stores nothing new
    assert post_signed(brand, body).status_code == 200
    assert WebhookEvent.objects.filter(brand=brand).count() == len(stored)


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(28))
def test_each_event_of_the_sdks_fixture_alone_is_answered_200(brand: Brand, index: int) -> None:
    payload = json.loads(sdk_body())
    body = json.dumps({"destination": payload["destination"], "events": [payload["events"][index]]}).encode()
    response = post_signed(brand, body)
    assert response.status_code == 200, response.content[:300]
    webhook_events_drain()
    (stored,) = WebhookEvent.objects.filter(brand=brand)
    assert stored.event_type == payload["events"][index]["type"]
    assert stored.processed_at is not None
    assert stored.result != WebhookEventResult.FAILED, stored.detail


@pytest.mark.django_db
def test_the_fixture_signed_with_another_secret_is_refused(brand: Brand) -> None:
    assert post_signed(brand, sdk_body(), secret="0" * 32).status_code == 403
    assert not WebhookEvent.objects.exists()
