import json
from typing import Any

import pytest
from django.test import Client

from integrations.signatures import line_signature, line_signature_valid
from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.services import webhook_events_drain
from portal.models import Brand


def post_signed(client: Client, brand: Brand, payload: dict, *, secret: str | None = None) -> object:
    body = json.dumps(payload).encode()
    signature = line_signature(channel_secret=secret or brand.channel_secret.reveal(), body=body)
    return client.post(
        f"/webhooks/line/{brand.slug}", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )


def event(event_id: str, event_type: str = "delivery", **extra: object) -> dict:
    return {
        "type": event_type,
        "webhookEventId": event_id,
        "timestamp": 1650591346705,
        "mode": "active",
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }


def test_the_signature_matches_lines_published_check_vector() -> None:
    body = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
    secret = "8c570fa6dd201bb328f1c1eac23a96d8"
    assert line_signature(channel_secret=secret, body=body) == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    assert line_signature_valid(
        channel_secret=secret, body=body, signature="GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    )
    assert not line_signature_valid(
        channel_secret=secret, body=body + b" ", signature="GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    )


def test_an_empty_events_array_is_a_connectivity_check_answered_200(brand: Brand) -> None:
    response = post_signed(Client(), brand, {"destination": "U" + "0" * 32, "events": []})
    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("signature", [None, "", "bm90LXRoZS1zaWduYXR1cmU="])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_recorded(brand: Brand, signature: str | None) -> None:
    body = json.dumps({"destination": "U", "events": [event("01A")]}).encode()
    headers = {} if signature is None else {"HTTP_X_LINE_SIGNATURE": signature}
    response = Client().post(f"/webhooks/line/{brand.slug}", body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_body_signed_with_another_brands_secret_is_refused(brand: Brand, other_brand: Brand) -> None:
    response = post_signed(Client(), brand, {"events": [event("01A")]}, secret=other_brand.channel_secret.reveal())
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_duplicates_and_redeliveries_are_stored_once(brand: Brand) -> None:
    client = Client()
    first = event("01G17EJCGAVV66J5WNA7ZCTF6H", delivery={"data": "tag-0000000000000001"})
    redelivered = {**first, "deliveryContext": {"isRedelivery": True}}
    assert post_signed(client, brand, {"events": [first, first]}).status_code == 200
    assert post_signed(client, brand, {"events": [redelivered]}).status_code == 200
    assert WebhookEvent.objects.filter(brand=brand).count() == 1


def test_unknown_event_types_are_stored_and_ignored_safely(brand: Brand) -> None:
    post_signed(Client(), brand, {"events": [event("01B", "membership", membership={"type": "joined"})]})
    assert webhook_events_drain() == 1
    stored = WebhookEvent.objects.get()
    assert stored.result == WebhookEventResult.IGNORED
    assert stored.processed_at is not None
    assert webhook_events_drain() == 0  # processed once


def test_an_unknown_brand_gets_404(db: None) -> None:
    assert Client().post("/webhooks/line/nope", b"{}", content_type="application/json").status_code == 404


def test_a_signed_body_that_is_not_json_gets_400(brand: Brand) -> None:
    body = b"not json"
    signature = line_signature(channel_secret=brand.channel_secret.reveal(), body=body)
    response = Client().post(
        f"/webhooks/line/{brand.slug}", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )
    assert response.status_code == 400


def test_a_drain_that_cannot_be_enqueued_gives_its_claim_back_so_the_next_request_enqueues_one(
    brand: Brand, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.cache import cache
    from kombu.exceptions import OperationalError

    from notifications import tasks
    from notifications.services.deliveries import DRAIN_KEY

    cache.delete(DRAIN_KEY)
    enqueued: list[str] = []

    def broker_down() -> None:
        enqueued.append("refused")
        raise OperationalError("connection refused")

    def post(event_id: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(Client(), brand, {"destination": "U1", "events": [event(event_id)]})
        return response.status_code

    monkeypatch.setattr(tasks.webhook_events_process, "delay", broker_down)
    assert post("01JDRAXNDXWN00000000000001") == 200
    assert cache.get(DRAIN_KEY) is None  # not held for its ten seconds by a drain that never ran

    monkeypatch.setattr(tasks.webhook_events_process, "delay", lambda: enqueued.append("queued"))
    assert post("01JDRAXNDXWN00000000000002") == 200
    assert enqueued == ["refused", "queued"]
    assert WebhookEvent.objects.count() == 2
    cache.delete(DRAIN_KEY)
