"""Every stored LINE event is applied within about a second, whatever state the drain is in.

A real worker without beat (so no timer can rescue a missed event) applies what the webhook
receiver stores; requests come every 0.1 s, so most of them arrive while a drain is already
queued or running.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import F, Max
from django.test import Client

from integrations.signatures import line_signature
from notifications.models import WebhookEvent
from notifications.services.deliveries import DRAIN_KEY
from portal.models import Brand
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


def post_delivery(brand: Brand, n: int) -> None:
    body = json.dumps(
        {
            "destination": "U" + "0" * 32,
            "events": [
                {
                    "type": "delivery",
                    "webhookEventId": f"01JLATENCY{n:016d}",
                    "timestamp": int(time.time() * 1000),
                    "mode": "active",
                    "deliveryContext": {"isRedelivery": False},
                    "delivery": {"data": f"latency-tag-{n:08d}"},
                }
            ],
        }
    ).encode()
    signature = line_signature(channel_secret=brand.channel_secret.reveal(), body=body)
    response = Client().post(
        f"/webhooks/line/{brand.slug}", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )
    assert response.status_code == 200


def test_events_arriving_while_a_drain_is_queued_or_running_are_applied_within_a_second(
    brand: Brand, celery_worker_factory: Callable[..., object]
) -> None:
    # A claim left by an earlier test's request (no worker ran its drain) would hold for its life:
    # in service the beat timer covers that case, and this test has no timer.
    cache.delete(DRAIN_KEY)
    celery_worker_factory(beat=False)  # no timer: only the receiver's scheduling can apply them
    post_delivery(brand, 0)
    wait_for(lambda: WebhookEvent.objects.filter(processed_at__isnull=False).exists(), timeout=30)

    for n in range(1, 21):
        post_delivery(brand, n)
        time.sleep(0.1)

    waiting = WebhookEvent.objects.filter(processed_at__isnull=True)
    wait_for(lambda: not waiting.exists(), timeout=5, describe=lambda: list(waiting.values_list("event_id", flat=True)))
    slowest = WebhookEvent.objects.aggregate(slowest=Max(F("processed_at") - F("received_at")))["slowest"]
    assert WebhookEvent.objects.count() == 21
    assert slowest < timedelta(seconds=1.5), slowest
