from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from members.models import Consent, Member
from portal.models import AuditEvent, Brand


def test_put_creates_then_updates_a_member(api_client: APIClient) -> None:
    response = api_client.put("/api/v1/members/M1", {"name": "王小明", "phone": "0912-345-678"}, format="json")
    assert response.status_code == 201
    assert response.json()["phone"] == "+886912345678"
    response = api_client.put("/api/v1/members/M1", {"name": "王小明", "phone": "(02) 2345-6789"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_type"] == "fixed_line"
    assert Member.objects.count() == 1


def test_an_invalid_phone_is_400_with_the_import_reason_and_nothing_is_written(api_client: APIClient) -> None:
    response = api_client.put("/api/v1/members/M1", {"name": "x", "phone": "0912-34-567"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "phone", "message": "0912-34-567: too short for a Taiwanese mobile number.", "code": "invalid"}
    ]
    assert not Member.objects.exists()


def test_get_shows_e164_consents_line_link_and_reachability(api_client: APIClient) -> None:
    api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    response = api_client.post(
        "/api/v1/members/M1/consents",
        {
            "purpose": "pnp_notification",
            "granted": True,
            "source": "api",
            "evidence": "form v3",
            "notice_version": "2025-04",
            "captured_at": "2025-05-01T10:00:00+08:00",
        },
        format="json",
    )
    assert response.status_code == 201
    body = api_client.get("/api/v1/members/M1").json()
    assert body["phone"] == "+886912345678"
    assert body["pnp_consent"] is True
    assert body["consents"][0]["evidence"] == "form v3"
    assert body["line_link"] is None
    assert body["reachability"]["open"] == ["pnp"]
    assert body["reachability"]["closed"]["sms"] == "No SMS consent recorded."


def test_a_consent_with_an_unknown_purpose_is_400(api_client: APIClient) -> None:
    api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    response = api_client.post("/api/v1/members/M1/consents", {"purpose": "marketing", "granted": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "purpose"
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "pnp_notification", "granted": True, "notice_version": "2026-11"}, "evidence"),
        ({"purpose": "pnp_notification", "granted": True, "evidence": " ", "notice_version": "2026-11"}, "evidence"),
        ({"purpose": "pnp_notification", "granted": True, "evidence": "form #12"}, "notice_version"),
        (
            {"purpose": "pnp_notification", "granted": True, "evidence": "form #12", "notice_version": " "},
            "notice_version",
        ),
    ],
)
def test_a_consent_without_its_evidence_or_a_grant_without_its_notice_version_is_400_naming_the_field(
    api_client: APIClient, body: dict, field: str
) -> None:
    api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    response = api_client.post("/api/v1/members/M1/consents", body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Consent.objects.exists()


def test_a_withdrawal_needs_its_evidence_but_no_notice_version(api_client: APIClient) -> None:
    api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    body = {"purpose": "pnp_notification", "granted": False, "evidence": "member called the hotline"}
    assert api_client.post("/api/v1/members/M1/consents", body, format="json").status_code == 201


def test_delete_erases_and_the_member_cannot_be_recreated(api_client: APIClient) -> None:
    api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    assert api_client.delete("/api/v1/members/M1").status_code == 204
    member = Member.objects.get()
    assert member.erased_at is not None and member.phone_e164 == ""
    assert AuditEvent.objects.filter(action="member.erased").exists()
    response = api_client.put("/api/v1/members/M1", {"name": "A", "phone": "0912345678"}, format="json")
    assert response.status_code == 409


def test_a_key_sees_only_its_brands_members(
    api_client: APIClient, other_brand: Brand, api_key_for: Callable[[Brand], str]
) -> None:
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_brand)}")
    other.put("/api/v1/members/M1", {"name": "Other", "phone": "0912345678"}, format="json")
    assert api_client.get("/api/v1/members/M1").status_code == 404
    assert api_client.delete("/api/v1/members/M1").status_code == 404
    assert (
        api_client.post(
            "/api/v1/members/M1/consents", {"purpose": "sms_notification", "granted": True}, format="json"
        ).status_code
        == 404
    )
    # the same member number in another brand is a different member
    assert (
        api_client.put("/api/v1/members/M1", {"name": "Mine", "phone": "0933111222"}, format="json").status_code == 201
    )
    assert Member.objects.get(brand=other_brand).name == "Other"


def test_staff_sessions_cannot_use_the_members_api(client, manager) -> None:  # type: ignore[no-untyped-def]
    client.force_login(manager)
    assert client.get("/api/v1/members/M1").status_code in (401, 403)
