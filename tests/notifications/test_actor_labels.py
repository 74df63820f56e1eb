"""One API key is named the same way by every app that records it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from applications.models import StageTransition
from applications.services import application_create
from compliance.models import TemplateVersion
from members.models import Consent, Member
from members.services import consent_record
from notifications.models import Notification
from portal.models import AuditEvent, Brand, BrandAPIKey

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


def test_one_api_key_gets_the_same_label_in_every_app(
    brand: Brand,
    api_client: APIClient,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    manager: User,
) -> None:
    # given the key a brand's system calls the API with
    approve_template("shipping_notice")
    member = make_member("M1", "0912-345-678")
    api_key = BrandAPIKey.objects.get(brand=brand)
    label = f"api-key:{api_key.prefix}"
    # when it sends a notification, records a consent and opens an application
    response = api_client.post(
        "/api/v1/notifications",
        {"template": "shipping_notice", "member": "M1", "variables": VARIABLES},
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert response.status_code == 202, response.content
    consent_record(member=member, purpose="sms_notification", granted=True, source="api", actor=api_key)
    application_create(brand=brand, owner=manager, actor=api_key, use_cases=["delivery_notice"])
    # then the notification, the consent, the timeline and the audit trail all name it alike
    assert Notification.objects.get().submitted_by == label
    assert Consent.objects.filter(captured_by_label=label).count() == 1
    assert StageTransition.objects.get().actor_label == label
    key_events = AuditEvent.objects.exclude(actor_label__in=["test", "system"]).exclude(actor__isnull=False)
    assert set(key_events.values_list("actor_label", flat=True)) == {label}
