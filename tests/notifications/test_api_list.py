"""GET /api/v1/notifications: the brand's own notifications, filtered, newest first, page by cursor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from members.models import Member
from notifications.choices import NotificationStatus
from notifications.models import Notification
from notifications.services import SendRequest, notification_accept
from portal.models import Brand

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"
VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


@pytest.fixture
def three(
    brand: Brand, approve_template: Callable[..., TemplateVersion], make_member: Callable[..., Member]
) -> list[Notification]:
    approve_template("shipping_notice")
    approve_template("payment_due")
    make_member("M1", "0912-345-678")
    make_member("M2", "0912-000-111")
    made = []
    for external_id, code in (("M1", "shipping_notice"), ("M2", "shipping_notice"), ("M1", "payment_due")):
        request = SendRequest(template=code, member=external_id, variables=VARIABLES)
        made.append(notification_accept(brand=brand, request=request))
    return made


def _ids(client: APIClient, **params: str) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_newest_first_and_filters_by_member_status_template_and_time(
    api_client: APIClient, three: list[Notification]
) -> None:
    first, second, third = three
    assert _ids(api_client) == [third.pk, second.pk, first.pk]
    assert _ids(api_client, member="M1") == [third.pk, first.pk]
    assert _ids(api_client, member="nobody") == []
    assert _ids(api_client, template="payment_due") == [third.pk]
    Notification.objects.filter(pk=second.pk).update(status=NotificationStatus.FAILED)
    assert _ids(api_client, status="failed") == [second.pk]
    at = first.created_at
    assert _ids(api_client, since=(at - timedelta(minutes=1)).isoformat()) == [third.pk, second.pk, first.pk]
    assert _ids(api_client, until=(at - timedelta(minutes=1)).isoformat()) == []
    row = api_client.get(URL, {"member": "M2"}).json()["results"][0]
    assert row["member"] == "M2" and row["template_code"] == "shipping_notice" and "timeline" not in row


def test_pages_follow_the_cursor_and_a_forged_cursor_is_a_400(api_client: APIClient, three: list[Notification]) -> None:
    page = api_client.get(URL, {"page_size": "2"}).json()
    assert [r["id"] for r in page["results"]] == [three[2].pk, three[1].pk]
    rest = api_client.get(page["next"]).json()
    assert [r["id"] for r in rest["results"]] == [three[0].pk] and rest["next"] is None
    bad = api_client.get(URL, {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"


def test_bad_filters_are_refused_naming_the_field(api_client: APIClient) -> None:
    for params, field in (({"status": "lost"}, "status"), ({"since": "yesterday"}, "since")):
        response = api_client.get(URL, params)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == field


def test_another_brands_key_lists_none_of_them(
    three: list[Notification], other_brand: Brand, api_key_for: Callable[[Brand], str]
) -> None:
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_brand)}")
    assert _ids(other) == [] and _ids(other, member="M1") == []


def test_the_list_is_in_the_openapi_schema_with_its_filters() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/notifications"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"member", "status", "template", "since", "until", "cursor"} <= names
