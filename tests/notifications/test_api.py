"""The notifications API: validation, idempotency, batch, timeline and brand isolation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from compliance.services import template_suspend
from members.models import Member
from notifications.choices import EventKind, NotificationStatus
from notifications.models import IdempotencyKey, Notification
from portal.models import Brand

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}


@pytest.fixture
def shipping(approve_template: Callable[..., TemplateVersion]) -> TemplateVersion:
    return approve_template("shipping_notice")


@pytest.fixture
def member(make_member: Callable[..., Member]) -> Member:
    return make_member("M1", "0912-345-678")


def post(client: APIClient, body: dict, key: str | None = "key-1") -> object:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/notifications", body, format="json", **headers)


def test_a_valid_request_is_accepted_with_its_channel_plan(
    api_client: APIClient, shipping: TemplateVersion, member: Member
) -> None:
    response = post(api_client, {"template": "shipping_notice", "member": "M1", "variables": VARIABLES})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == NotificationStatus.QUEUED
    assert body["channel_plan"] == ["pnp", "sms"]
    notification = Notification.objects.get(pk=body["id"])
    assert notification.template_version == shipping
    assert list(notification.events.values_list("kind", flat=True)) == [EventKind.QUEUED]


def test_a_phone_in_any_format_finds_the_member(
    api_client: APIClient, shipping: TemplateVersion, member: Member
) -> None:
    response = post(api_client, {"template": "shipping_notice", "phone": "+886 912 345 678", "variables": VARIABLES})
    assert response.status_code == 202, response.content
    assert response.json()["member"] == "M1"


def test_the_same_key_and_body_replays_the_first_answer(
    api_client: APIClient, shipping: TemplateVersion, member: Member
) -> None:
    body = {"template": "shipping_notice", "member": "M1", "variables": VARIABLES}
    first = post(api_client, body)
    again = post(api_client, body)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Notification.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(
    api_client: APIClient, shipping: TemplateVersion, member: Member
) -> None:
    post(api_client, {"template": "shipping_notice", "member": "M1", "variables": VARIABLES})
    other = post(
        api_client, {"template": "shipping_notice", "member": "M1", "variables": {**VARIABLES, "order_id": "B999"}}
    )
    assert other.status_code == 409
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Notification.objects.count() == 1


def test_a_request_without_an_idempotency_key_is_refused(
    api_client: APIClient, shipping: TemplateVersion, member: Member
) -> None:
    response = post(api_client, {"template": "shipping_notice", "member": "M1", "variables": VARIABLES}, key=None)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"template": "nope", "member": "M1", "variables": VARIABLES}, "template", "template_unknown"),
        ({"template": "shipping_notice", "member": "nobody", "variables": VARIABLES}, "member", "member_unknown"),
        ({"template": "shipping_notice", "phone": "0912-34-567", "variables": VARIABLES}, "phone", "phone_invalid"),
        (
            {"template": "shipping_notice", "member": "M1", "variables": {"event_time": "2026-11-25 10:00"}},
            "variables.order_id",
            "VALUE_MISSING",
        ),
        (
            {"template": "shipping_notice", "member": "M1", "variables": {**VARIABLES, "order_id": "A" * 21}},
            "variables.order_id",
            "VALUE_MAX_LENGTH",
        ),
        (
            {"template": "shipping_notice", "member": "M1", "variables": {**VARIABLES, "order_id": "限時折扣"}},
            "variables.order_id",
            None,
        ),
    ],
)
def test_invalid_requests_name_the_field_and_queue_nothing(
    api_client: APIClient, shipping: TemplateVersion, member: Member, body: dict, field: str, code: str | None
) -> None:
    response = post(api_client, body)
    assert response.status_code in (400, 422), response.content
    error = response.json()["errors"][0]
    assert error["field"] == field
    if code:
        assert error["code"] == code
    assert not Notification.objects.exists()
    assert not IdempotencyKey.objects.exists()  # a refused request can be fixed and retried with its key


def test_a_member_without_consent_for_any_channel_is_refused(
    api_client: APIClient, shipping: TemplateVersion, make_member: Callable[..., Member]
) -> None:
    make_member("M2", "0912-000-111", pnp=None, sms=False)
    api_client.credentials(HTTP_AUTHORIZATION=api_client._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="en")
    response = post(api_client, {"template": "shipping_notice", "member": "M2", "variables": VARIABLES})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "no_channel"
    assert "consent" in response.json()["message"].lower()


def test_a_suspended_template_cannot_be_sent(api_client: APIClient, shipping: TemplateVersion, member: Member) -> None:
    template_suspend(version=shipping, actor="test", reason={"code": "test", "note": "suspended in a test"})
    response = post(api_client, {"template": "shipping_notice", "member": "M1", "variables": VARIABLES})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "template_suspended"


def test_the_timeline_is_served_to_its_own_brand_only(
    api_client: APIClient,
    shipping: TemplateVersion,
    member: Member,
    other_brand: Brand,
    api_key_for: Callable[[Brand], str],
) -> None:
    notification_id = post(api_client, {"template": "shipping_notice", "member": "M1", "variables": VARIABLES}).json()[
        "id"
    ]
    mine = api_client.get(f"/api/v1/notifications/{notification_id}")
    assert mine.status_code == 200
    assert mine.json()["timeline"][0]["kind"] == EventKind.QUEUED
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_brand)}")
    assert other.get(f"/api/v1/notifications/{notification_id}").status_code == 404


def test_a_batch_answers_each_item_on_its_own(api_client: APIClient, shipping: TemplateVersion, member: Member) -> None:
    items = [
        {"idempotency_key": "b-1", "template": "shipping_notice", "member": "M1", "variables": VARIABLES},
        {"idempotency_key": "b-2", "template": "shipping_notice", "member": "nobody", "variables": VARIABLES},
        {"template": "shipping_notice", "member": "M1", "variables": VARIABLES},
    ]
    response = api_client.post("/api/v1/notifications/batch", {"notifications": items}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["refused"]) == (1, 2)
    assert [r["status"] for r in body["results"]] == [202, 422, 400]
    assert body["results"][2]["body"]["errors"][0]["field"] == "idempotency_key"
    again = api_client.post("/api/v1/notifications/batch", {"notifications": items[:1]}, format="json")
    assert again.json()["results"][0]["body"]["id"] == body["results"][0]["body"]["id"]
    assert Notification.objects.count() == 1


def test_a_batch_of_more_than_1000_is_refused(api_client: APIClient) -> None:
    items = [{"idempotency_key": f"k{i}", "template": "t", "member": "m"} for i in range(1001)]
    response = api_client.post("/api/v1/notifications/batch", {"notifications": items}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "notifications"
