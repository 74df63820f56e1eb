"""The notifications list in the admin: masked numbers, short channel names, the brand's rows only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import Channel, NotificationStatus
from notifications.models import Notification
from notifications.services import SendRequest, notification_accept
from portal.models import Brand
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/admin/notifications/notification/"
VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


def test_the_list_masks_numbers_and_names_the_delivering_channel_briefly(
    client: Client,
    manager: User,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    approve_template("shipping_notice")
    delivered, waiting = make_member("D1", "0912-345-678"), make_member("W1", "0912-000-111")
    for member in (delivered, waiting):
        notification_accept(
            brand=member.brand,
            request=SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES),
        )
    Notification.objects.filter(member=delivered).update(
        status=NotificationStatus.DELIVERED,
        delivered_channel=Channel.PNP,
        delivered_at=timezone.now(),
        delivered_twice=True,
    )
    assert client.login(username=manager.username, password=PASSWORD)
    body = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0912-***-678" in body and "912345678" not in body
    assert '<td class="field-delivered_by">PNP</td>' in body
    assert '<td class="field-delivered_by">-</td>' in body  # not delivered yet
    assert '<td class="field-delivered_by">LINE notification message (PNP)</td>' not in body
    # Only the notification LINE delivered twice is marked; the other row's cell stays empty.
    assert body.count('<td class="field-twice">⚠ yes</td>') == 1
    assert body.count('<td class="field-twice"></td>') == 1


def test_another_brands_notifications_are_not_listed(
    client: Client,
    other_manager: User,
    brand: Brand,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
) -> None:
    approve_template("shipping_notice")
    notification_accept(
        brand=brand,
        request=SendRequest(
            template="shipping_notice", member=make_member("M1", "0912-345-678").external_id, variables=VARIABLES
        ),
    )
    assert client.login(username=other_manager.username, password=PASSWORD)
    response = client.get(LIST)
    assert response.status_code == 200  # the list is theirs to see, without this brand's rows
    assert "0912-***-678" not in response.content.decode()


@pytest.mark.parametrize("demo", [True, False])
def test_in_the_demo_a_notification_links_to_the_members_phone_in_the_sandbox(
    client: Client,
    manager: User,
    approve_template: Callable[..., TemplateVersion],
    make_member: Callable[..., Member],
    settings: object,
    demo: bool,
) -> None:
    from members.phones import phone_hash

    settings.DEMO_MODE = demo  # type: ignore[attr-defined]
    settings.LINE_API_BASE_URL = "http://127.0.0.1:8191"  # type: ignore[attr-defined]
    approve_template("shipping_notice")
    member = make_member("D1", "0912-345-678")
    notification = notification_accept(
        brand=member.brand,
        request=SendRequest(template="shipping_notice", member=member.external_id, variables=VARIABLES),
    )
    assert client.login(username=manager.username, password=PASSWORD)
    body = client.get(f"{LIST}{notification.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    link = f"http://127.0.0.1:8191/sandbox/phone/{phone_hash(member.phone_e164)}"
    assert (link in body) is demo
    assert "912345678" not in body  # the link names the number's hash, not the number
