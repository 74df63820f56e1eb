"""NUL characters (byte 0) are refused with a 400 naming the field, never a 500 from PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from members.models import Member
from notifications.models import Notification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

VARIABLES = {"order_id": "A123", "event_time": "2026-11-25 10:00"}

# Every API operation with a path parameter (method, path with %00 where the parameter goes).
PATH_OPERATIONS = [
    ("get", "/api/v1/members/M%001"),
    ("put", "/api/v1/members/M%001"),
    ("delete", "/api/v1/members/M%001"),
    ("get", "/api/v1/members/M%001/consents"),
    ("post", "/api/v1/members/M%001/consents"),
    ("post", "/api/v1/members/M%001/line-binding"),
    ("delete", "/api/v1/members/M%001/line-binding"),
    ("post", "/api/v1/members/M%001/line-binding/otp"),
    ("get", "/api/v1/templates/ship%00ping"),
    ("get", "/api/v1/notifications/1%00"),
    ("get", "/api/v1/brands/1%00"),
]


@pytest.fixture
def shipping(approve_template: Callable[..., TemplateVersion]) -> TemplateVersion:
    return approve_template("shipping_notice")


@pytest.mark.parametrize(("method", "path"), PATH_OPERATIONS)
def test_a_nul_in_a_path_parameter_is_a_400_with_the_fix(api_client: APIClient, method: str, path: str) -> None:
    response = getattr(api_client, method)(path, {}, format="json")
    assert response.status_code == 400
    assert "NUL character" in response.json()["message"]


def test_a_nul_in_an_admin_search_is_a_400_not_a_database_error(client: Client, superuser: User) -> None:
    assert client.login(username=superuser.username, password=PASSWORD)
    response = client.get("/admin/members/member/", {"q": "M\x001"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_in_a_variable_value_is_refused_naming_the_variable(
    api_client: APIClient, shipping: TemplateVersion, make_member: Callable[..., Member]
) -> None:
    make_member("M1", "0912-345-678")
    body = {"template": "shipping_notice", "member": "M1", "variables": {**VARIABLES, "order_id": "A\x001"}}
    response = api_client.post("/api/v1/notifications", body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "variables.order_id"
    assert "NUL" in response.json()["errors"][0]["message"]
    assert not Notification.objects.exists()


def test_a_nul_in_a_variable_name_is_refused(
    api_client: APIClient, shipping: TemplateVersion, make_member: Callable[..., Member]
) -> None:
    make_member("M1", "0912-345-678")
    body = {"template": "shipping_notice", "member": "M1", "variables": {**VARIABLES, "x\x00": "1"}}
    response = api_client.post("/api/v1/notifications", body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul-key")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "variables"


def test_one_nul_item_of_a_batch_is_refused_alone(
    api_client: APIClient, shipping: TemplateVersion, make_member: Callable[..., Member]
) -> None:
    make_member("M1", "0912-345-678")
    good = {"idempotency_key": "b-1", "template": "shipping_notice", "member": "M1", "variables": VARIABLES}
    bad = {**good, "idempotency_key": "b-2", "variables": {**VARIABLES, "order_id": "A\x001"}}
    response = api_client.post("/api/v1/notifications/batch", {"notifications": [good, bad]}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 400]
    assert Notification.objects.count() == 1


def test_a_review_page_address_that_is_not_a_number_is_404(client: Client, reviewer: User) -> None:
    assert client.login(username=reviewer.username, password=PASSWORD)
    assert client.get("/admin/compliance/reviewqueueitem/abc/change/").status_code == 404
