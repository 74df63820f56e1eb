"""The binding API: bind with a bind link or a one-time password, unbind, and every refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from binding.links import follower_token_issue, member_token_issue
from binding.models import BindingSettings, BindOtp, UsedBindToken
from compliance.models import TemplateVersion
from members.choices import ConsentPurpose
from members.models import Consent, LineLink, Member, UnlinkedLineFollower
from notifications.models import Notification
from portal.models import Brand

pytestmark = pytest.mark.django_db

UID = "U" + "a" * 32
OTHER_UID = "U" + "b" * 32
EVIDENCE = {"evidence": "LIFF consent checkbox", "notice_version": "privacy-2026-01"}


@pytest.fixture(autouse=True)
def friends(brand: Brand) -> None:
    """Both LINE users have added the brand's account (binding refuses anyone else)."""
    for uid in (UID, OTHER_UID):
        UnlinkedLineFollower.objects.create(brand=brand, uid=uid)


@pytest.fixture
def member(make_member: Callable[..., Member], binding_settings: BindingSettings) -> Member:
    return make_member("M1", "0912-345-678")


def bind(client: APIClient, member: Member, **body: Any) -> Any:
    return client.post(
        f"/api/v1/members/{member.external_id}/line-binding", {"uid": UID, **EVIDENCE, **body}, format="json"
    )


def error(response: Any) -> dict[str, str]:
    return dict(response.json()["errors"][0])


def sent_code(member: Member) -> str:
    notification = Notification.objects.filter(member=member).order_by("-id").first()
    assert notification is not None
    return str(notification.variables["otp_code"])


def request_otp(client: APIClient, member: Member) -> Any:
    return client.post(f"/api/v1/members/{member.external_id}/line-binding/otp", format="json")


def test_a_bind_link_token_binds_the_member_once_with_their_consent(
    api_client: APIClient, brand: Brand, member: Member
) -> None:
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)

    response = bind(api_client, member, token=token)

    assert response.status_code == 201, response.content
    assert response.json()["bound"] is True
    link = LineLink.objects.get(member=member)
    assert (link.uid, link.is_bound) == (UID, True)
    consent = Consent.objects.get(member=member, purpose=ConsentPurpose.LINE_BINDING)
    assert (consent.granted, consent.source, consent.evidence) == (True, "api", EVIDENCE["evidence"])
    assert link.binding_consent == consent
    assert UsedBindToken.objects.filter(member=member).count() == 1

    again = bind(api_client, member, token=token)

    assert again.status_code == 410
    assert error(again) | {"message": ""} == {"field": "token", "code": "token_used", "message": ""}


def test_an_expired_or_unknown_token_is_refused_naming_the_field(
    api_client: APIClient, brand: Brand, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)
    later = timezone.now() + timedelta(days=8)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())

    expired = bind(api_client, member, token=token)
    unknown = bind(api_client, member, token="not-a-token")

    assert expired.status_code == 410
    assert (error(expired)["field"], error(expired)["code"]) == ("token", "token_expired")
    assert unknown.status_code == 400
    assert (error(unknown)["field"], error(unknown)["code"]) == ("token", "token_invalid")
    assert not LineLink.objects.filter(member=member).exists()
    assert not Consent.objects.filter(purpose=ConsentPurpose.LINE_BINDING).exists()


def test_another_members_token_does_not_bind(
    api_client: APIClient, brand: Brand, member: Member, make_member: Callable[..., Member]
) -> None:
    other = make_member("M2", "0912-000-111")

    response = bind(api_client, member, token=member_token_issue(brand_id=brand.pk, member_id=other.pk))

    assert response.status_code == 400
    assert error(response)["field"] == "token"


def test_a_uid_bound_to_another_member_is_refused_with_409_and_nothing_is_recorded(
    api_client: APIClient, brand: Brand, member: Member, make_member: Callable[..., Member]
) -> None:
    other = make_member("M2", "0912-000-111")
    assert bind(api_client, other, token=member_token_issue(brand_id=brand.pk, member_id=other.pk)).status_code == 201
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)

    response = bind(api_client, member, token=token)

    assert response.status_code == 409
    assert (error(response)["field"], error(response)["code"]) == ("uid", "line_uid_taken")
    assert not Consent.objects.filter(member=member, purpose=ConsentPurpose.LINE_BINDING).exists()
    assert bind(api_client, member, token=token, uid=OTHER_UID).status_code == 201  # the token was not spent


def test_a_request_without_proof_or_with_a_bad_uid_names_the_field(api_client: APIClient, member: Member) -> None:
    no_proof = bind(api_client, member)
    bad_uid = bind(api_client, member, otp="123456", uid="someone")
    no_consent = api_client.post(
        f"/api/v1/members/{member.external_id}/line-binding", {"uid": UID, "otp": "123456"}, format="json"
    )

    assert (no_proof.status_code, error(no_proof)["field"]) == (400, "token")
    assert (bad_uid.status_code, error(bad_uid)["field"]) == (400, "uid")
    assert no_consent.status_code == 400
    assert {e["field"] for e in no_consent.json()["errors"]} == {"evidence", "notice_version"}


def test_the_one_time_password_binds_once(
    api_client: APIClient, member: Member, binding_templates: dict[str, TemplateVersion]
) -> None:
    sent = request_otp(api_client, member)
    assert sent.status_code == 202, sent.content
    code = sent_code(member)
    assert re.fullmatch(r"\d{6}", code)
    assert code not in BindOtp.objects.get(member=member).code_hash

    response = bind(api_client, member, otp=code)
    again = bind(api_client, member, otp=code)

    assert response.status_code == 201, response.content
    assert LineLink.objects.get(member=member).uid == UID
    assert (again.status_code, error(again)["code"]) == (400, "otp_not_requested")


def test_wrong_codes_count_and_the_fifth_locks_the_code(
    api_client: APIClient, member: Member, binding_templates: dict[str, TemplateVersion]
) -> None:
    request_otp(api_client, member)
    code = sent_code(member)
    wrong = "000000" if code != "000000" else "111111"
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    answers = [bind(api_client, member, otp=wrong) for _ in range(5)]
    right_too_late = bind(api_client, member, otp=code)

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 410]
    assert "4 tries left" in error(answers[0])["message"]
    assert [error(a)["code"] for a in answers][-1] == "otp_locked"
    assert (right_too_late.status_code, error(right_too_late)["code"]) == (410, "otp_locked")
    assert BindOtp.objects.get(member=member).attempts == 5
    assert not LineLink.objects.filter(member=member).exists()


def test_a_code_expires_after_five_minutes(
    api_client: APIClient, member: Member, binding_templates: dict[str, TemplateVersion]
) -> None:
    request_otp(api_client, member)
    code = sent_code(member)
    BindOtp.objects.filter(member=member).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = bind(api_client, member, otp=code)

    assert (response.status_code, error(response)["field"], error(response)["code"]) == (410, "otp", "otp_expired")
    otp = BindOtp.objects.get(member=member)
    assert otp.expires_at - otp.created_at <= timedelta(minutes=5, seconds=1)


def test_a_new_code_replaces_the_previous_one(
    api_client: APIClient, member: Member, binding_templates: dict[str, TemplateVersion]
) -> None:
    request_otp(api_client, member)
    first = sent_code(member)
    request_otp(api_client, member)
    second = sent_code(member)

    if first != second:
        assert bind(api_client, member, otp=first).status_code == 400
    assert bind(api_client, member, otp=second).status_code == 201


def test_codes_are_rate_limited_per_member_with_retry_after(
    api_client: APIClient,
    member: Member,
    make_member: Callable[..., Member],
    binding_templates: dict[str, TemplateVersion],
) -> None:
    other = make_member("M2", "0912-000-111")

    answers = [request_otp(api_client, member) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert 0 < int(answers[3]["Retry-After"]) <= 15 * 60
    assert error(answers[3])["code"] == "otp_rate_limited"
    assert BindOtp.objects.filter(member=member).count() == 3
    assert request_otp(api_client, other).status_code == 202  # per member


def test_otp_needs_a_configured_template(api_client: APIClient, member: Member, brand: Brand) -> None:
    BindingSettings.objects.filter(brand=brand).update(otp_template_code="")

    response = request_otp(api_client, member)

    assert (response.status_code, error(response)["field"]) == (422, "otp")


def test_a_welcome_link_identifies_the_line_user_and_binds_only_with_an_otp(
    api_client: APIClient, brand: Brand, member: Member, binding_templates: dict[str, TemplateVersion]
) -> None:
    token = follower_token_issue(brand_id=brand.pk, uid=UID)

    alone = bind(api_client, member, token=token)
    other_user = bind(api_client, member, token=token, uid=OTHER_UID, otp="123456")
    request_otp(api_client, member)
    response = bind(api_client, member, token=token, otp=sent_code(member))

    assert (alone.status_code, error(alone)["field"], error(alone)["code"]) == (400, "otp", "otp_required")
    assert (other_user.status_code, error(other_user)["field"]) == (400, "uid")
    assert response.status_code == 201, response.content
    assert LineLink.objects.get(member=member).uid == UID


def test_delete_unbinds(api_client: APIClient, brand: Brand, member: Member) -> None:
    bind(api_client, member, token=member_token_issue(brand_id=brand.pk, member_id=member.pk))

    response = api_client.delete(f"/api/v1/members/{member.external_id}/line-binding")

    assert response.status_code == 204
    assert not LineLink.objects.get(member=member).is_bound
    assert UnlinkedLineFollower.objects.filter(brand=brand, uid=UID).exists()


def test_withdrawing_binding_consent_through_the_consents_api_unbinds(
    api_client: APIClient, brand: Brand, member: Member
) -> None:
    bind(api_client, member, token=member_token_issue(brand_id=brand.pk, member_id=member.pk))

    response = api_client.post(
        f"/api/v1/members/{member.external_id}/consents",
        {"purpose": "line_binding", "granted": False, "evidence": "member asked at the counter"},
        format="json",
    )

    assert response.status_code == 201
    link = LineLink.objects.get(member=member)
    assert (link.is_bound, link.uid, link.binding_consent) == (False, "", None)


def test_an_older_withdrawal_captured_before_the_binding_does_not_unbind(
    api_client: APIClient, brand: Brand, member: Member
) -> None:
    bind(api_client, member, token=member_token_issue(brand_id=brand.pk, member_id=member.pk))

    api_client.post(
        f"/api/v1/members/{member.external_id}/consents",
        {
            "purpose": "line_binding",
            "granted": False,
            "evidence": "paper form from last year",
            "captured_at": (timezone.now() - timedelta(days=365)).isoformat(),
        },
        format="json",
    )

    assert LineLink.objects.get(member=member).is_bound


def test_another_brands_member_is_not_found(
    api_client: APIClient, other_brand: Brand, api_key_for: Callable[[Brand], str], member: Member
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_brand)}")

    response = bind(client, member, otp="123456")

    assert response.status_code == 404
