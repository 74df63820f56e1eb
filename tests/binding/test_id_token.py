"""Who the member is on LINE: the LIFF ID token, verified with LINE (the sandbox over HTTP), and the friend check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from binding.links import member_token_issue
from binding.models import BindingSettings
from integrations import line as line_client
from members.models import LineLink, Member, UnlinkedLineFollower
from portal.models import AuditEvent, Brand
from tests.binding.conftest import LOGIN_CHANNEL_ID
from tests.sandbox.conftest import SandboxProcess

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(90)]

FRIEND = "U" + "1" * 32
BLOCKER = "U" + "2" * 32
STRANGER = "U" + "3" * 32
EVIDENCE = {"evidence": "LIFF consent checkbox", "notice_version": "privacy-2026-01"}


@pytest.fixture
def sandbox(brand: Brand, tmp_path: Path, settings: Any) -> Iterator[SandboxProcess]:
    channel = brand.line_channel_id
    users = [
        {"phone": "+886913000001", "uid": FRIEND, "channels": {channel: {"friend": True}}},
        {"phone": "+886913000002", "uid": BLOCKER, "channels": {channel: {"friend": True, "blocked": True}}},
        {"phone": "+886913000003", "uid": STRANGER, "channels": {}},
    ]
    world = {
        "channels": [
            {
                "channel_id": channel,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "brand_slug": brand.slug,
            }
        ],
        "users": users,
    }
    process = SandboxProcess([], tmp_path, world=world)
    settings.LINE_API_BASE_URL = process.url
    yield process
    process.stop()


@pytest.fixture
def member(make_member: Callable[..., Member], binding_settings: BindingSettings, brand: Brand) -> Member:
    # the portal's friend list, as follow and unfollow events left it
    UnlinkedLineFollower.objects.create(brand=brand, uid=FRIEND)
    UnlinkedLineFollower.objects.create(brand=brand, uid=BLOCKER, is_friend=False, is_blocked=True)
    binding_settings.backend_verifies_uid = False
    binding_settings.save()
    return make_member("M1", "0912-345-678")


def id_token(sandbox: SandboxProcess, uid: str, client_id: str = LOGIN_CHANNEL_ID) -> str:
    return str(sandbox.admin("/sandbox/users/id-token", {"uid": uid, "client_id": client_id})["id_token"])


def bind(client: APIClient, member: Member, brand: Brand, **body: Any) -> Any:
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)
    return client.post(
        f"/api/v1/members/{member.external_id}/line-binding", {"token": token, **EVIDENCE, **body}, format="json"
    )


def refusal(response: Any) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["field"], error["code"]


def test_the_id_token_names_the_line_user_and_the_binding_says_line_verified_it(
    api_client: APIClient, brand: Brand, member: Member, sandbox: SandboxProcess
) -> None:
    response = bind(api_client, member, brand, id_token=id_token(sandbox, FRIEND))
    assert response.status_code == 201, response.json()
    assert LineLink.objects.get(member=member).uid == FRIEND
    audit = AuditEvent.objects.get(action="line_binding.confirmed")
    assert audit.data["uid_verified_by"] == "line_id_token"


def test_the_client_reads_lines_verify_answer(brand: Brand, sandbox: SandboxProcess) -> None:
    claims = line_client.id_token_verify(id_token=id_token(sandbox, FRIEND), client_id=LOGIN_CHANNEL_ID)
    assert (claims.user_id, claims.channel_id) == (FRIEND, LOGIN_CHANNEL_ID)
    with pytest.raises(line_client.LineIdTokenInvalidError, match="Audience"):
        line_client.id_token_verify(id_token=id_token(sandbox, FRIEND, "2999999999"), client_id=LOGIN_CHANNEL_ID)


@pytest.mark.parametrize(
    "make_token",
    [
        lambda sandbox: id_token(sandbox, FRIEND)[:-4] + "AAAA",  # forged signature
        lambda sandbox: id_token(sandbox, FRIEND, client_id="2999999999"),  # another LINE Login channel's
        lambda sandbox: (id_token(sandbox, FRIEND), sandbox.advance(3601))[0],  # expired an hour later
    ],
    ids=["forged", "other-channel", "expired"],
)
def test_an_id_token_line_refuses_binds_nothing(
    api_client: APIClient, brand: Brand, member: Member, sandbox: SandboxProcess, make_token: Any
) -> None:
    response = bind(api_client, member, brand, id_token=make_token(sandbox))
    assert refusal(response) == (400, "id_token", "id_token_invalid")
    assert not LineLink.objects.filter(member=member, bound_at__isnull=False).exists()


def test_a_uid_that_is_not_the_tokens_user_is_refused(
    api_client: APIClient, brand: Brand, member: Member, sandbox: SandboxProcess
) -> None:
    response = bind(api_client, member, brand, id_token=id_token(sandbox, FRIEND), uid=STRANGER)
    assert refusal(response) == (400, "uid", "uid_mismatch")


@pytest.mark.parametrize(("uid", "code"), [(STRANGER, "uid_not_friend"), (BLOCKER, "uid_blocked")])
def test_only_a_friend_who_has_not_blocked_the_account_is_bound(
    api_client: APIClient, brand: Brand, member: Member, sandbox: SandboxProcess, uid: str, code: str
) -> None:
    response = bind(api_client, member, brand, id_token=id_token(sandbox, uid))
    assert refusal(response) == (422, "uid", code)
    assert "friend" in response.json()["message"] or "block" in response.json()["message"]
    assert not LineLink.objects.filter(member=member, bound_at__isnull=False).exists()
    # the bind link was not spent: once the member adds the account, the same link binds
    UnlinkedLineFollower.objects.update_or_create(
        brand=brand, uid=uid, defaults={"is_friend": True, "is_blocked": False}
    )
    assert bind(api_client, member, brand, id_token=id_token(sandbox, uid)).status_code == 201


def test_a_uid_without_a_token_is_refused_unless_the_brands_backend_verifies_it(
    api_client: APIClient, brand: Brand, member: Member, binding_settings: BindingSettings
) -> None:
    assert refusal(bind(api_client, member, brand, uid=FRIEND)) == (400, "id_token", "id_token_required")

    BindingSettings.objects.filter(pk=binding_settings.pk).update(backend_verifies_uid=True)
    response = bind(api_client, member, brand, uid=FRIEND)

    assert response.status_code == 201, response.json()
    assert AuditEvent.objects.get(action="line_binding.confirmed").data["uid_verified_by"] == "brand_backend"


def test_an_id_token_needs_the_login_channel_in_the_settings(
    api_client: APIClient, brand: Brand, member: Member, binding_settings: BindingSettings, sandbox: SandboxProcess
) -> None:
    BindingSettings.objects.filter(pk=binding_settings.pk).update(login_channel_id="")
    response = bind(api_client, member, brand, id_token=id_token(sandbox, FRIEND))
    assert refusal(response) == (422, "id_token", "login_channel_not_configured")


def test_line_out_of_reach_binds_nothing_and_says_to_retry(
    api_client: APIClient, brand: Brand, member: Member, settings: Any
) -> None:
    from tests.sandbox.conftest import free_port

    settings.LINE_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    response = bind(api_client, member, brand, id_token="a.b.c")
    assert refusal(response) == (503, "id_token", "line_unavailable")
