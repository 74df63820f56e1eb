"""The template endpoints: a brand's key sees its templates and checks values before sending."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import TemplateVersion
from compliance.services import template_suspend


def test_a_brand_key_lists_its_templates_with_the_sendable_version(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    listed = api_client.get("/api/v1/templates").json()
    assert [t["code"] for t in listed] == ["shipping_notice"]
    assert listed[0]["sendable_version"]["number"] == 1
    assert listed[0]["sendable_version"]["variables"][0]["name"] == "order_id"


def test_checking_values_returns_the_rendered_messages(api_client: APIClient, approved: TemplateVersion) -> None:
    response = api_client.post(
        "/api/v1/templates/shipping_notice/check",
        {"variables": {"order_id": "A1", "event_time": "2026-01-01 10:00"}, "occurred_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["sms_segments"] == 1
    assert "A1" in response.json()["sms_text"]


def test_a_coupon_in_a_variable_is_refused_with_the_rule_code_and_field(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    response = api_client.post(
        "/api/v1/templates/shipping_notice/check",
        {
            "variables": {"order_id": "coupon50", "event_time": "2026-01-01 10:00"},
            "occurred_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "variables.order_id", "message": response.json()["message"], "code": "PROMO_WORDING"}
    ]


def test_a_suspended_template_is_refused(api_client: APIClient, approved: TemplateVersion, reviewer: User) -> None:
    template_suspend(version=approved, actor=reviewer, reason={"kind": "manual"})
    response = api_client.post(
        "/api/v1/templates/shipping_notice/check",
        {"variables": {}, "occurred_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "template"
    assert response.json()["errors"][0]["code"] == "template_suspended"


def test_checking_values_for_a_template_code_the_brand_does_not_have_is_404(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    body = {"variables": {"order_id": "A1"}, "occurred_at": timezone.now().isoformat()}
    response = api_client.post("/api/v1/templates/no_such_code/check", body, format="json")
    assert response.status_code == 404, response.json()
    assert response.json()["errors"] == []


def test_checking_takes_a_send_body_as_it_is_with_the_send_defaults(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    # given: the body of a send, without occurred_at (a send defaults it to now)
    body = {
        "template": "shipping_notice",
        "member": "M1",
        "variables": {"order_id": "A1", "event_time": "2026-01-01 10:00"},
        "reservation_key": "R1",
    }
    response = api_client.post("/api/v1/templates/shipping_notice/check", body, format="json")
    assert response.status_code == 200, response.json()
    assert "A1" in response.json()["sms_text"]


def test_checking_a_body_that_names_another_template_is_refused_on_the_template_field(
    api_client: APIClient, approved: TemplateVersion
) -> None:
    body = {"template": "other_code", "variables": {"order_id": "A1", "event_time": "2026-01-01 10:00"}}
    response = api_client.post("/api/v1/templates/shipping_notice/check", body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("template", "template_mismatch")]
