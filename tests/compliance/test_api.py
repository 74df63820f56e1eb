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


def test_copy_checked_ahead_gets_the_verdict_and_findings(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/copy-checks", {"text": "本週會員日全館85折，立即搶購"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verdict"] == "block" and body["advertising"] is True
    first = body["findings"][0]
    assert {"code", "severity", "clause", "evidence"} <= set(first)
    assert first["evidence"] == {"text": "會員日", "start": 2, "end": 5}


def test_copy_checked_ahead_weighs_the_use_case(api_client: APIClient) -> None:
    text = "繳費期限倒數 3 天，請於 12/15 前繳納"
    assert api_client.post("/api/v1/copy-checks", {"text": text}, format="json").json()["verdict"] == "review"
    answer = api_client.post("/api/v1/copy-checks", {"text": text, "use_case": "payment_due"}, format="json").json()
    assert answer == {"verdict": "pass", "advertising": False, "findings": []}


def test_over_long_copy_is_refused_naming_the_limit(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/copy-checks", {"text": "字" * 5001}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "text"
    assert "5000" in response.json()["errors"][0]["message"]


def test_copy_with_an_unpaired_surrogate_is_refused_not_crashed_on(api_client: APIClient) -> None:
    response = api_client.generic(
        "POST", "/api/v1/copy-checks", '{"text": "\\ud800 sale"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "text"


def test_copy_checks_need_a_brand_key() -> None:
    assert APIClient().post("/api/v1/copy-checks", {"text": "sale"}, format="json").status_code == 401


def test_copy_checks_are_in_the_openapi_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/copy-checks"]["post"]
    assert "200" in operation["responses"] and "400" in operation["responses"]
