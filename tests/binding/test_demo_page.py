"""The demo binding page: open the bind link with the LINE user's ID token, get a code, bind."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from binding.links import member_token_issue
from binding.models import BindingSettings
from compliance.models import TemplateVersion
from members.models import LineLink, Member, UnlinkedLineFollower
from notifications.models import Notification
from portal.models import AuditEvent, Brand
from tests.binding.conftest import LOGIN_CHANNEL_ID
from tests.sandbox.conftest import SandboxProcess

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(90)]

UID = "U" + "4" * 32


@pytest.fixture
def sandbox(brand: Brand, tmp_path: Path, settings: Any) -> Iterator[SandboxProcess]:
    world = {
        "channels": [
            {
                "channel_id": brand.line_channel_id,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "brand_slug": brand.slug,
            }
        ],
        "users": [{"phone": "+886912345678", "uid": UID, "display_name": "小明", "channels": {}}],
    }
    process = SandboxProcess([], tmp_path, world=world)
    settings.LINE_API_BASE_URL = process.url
    settings.DEMO_MODE = True
    yield process
    process.stop()


@pytest.fixture
def member(
    make_member: Callable[..., Member],
    binding_settings: BindingSettings,
    binding_templates: dict[str, TemplateVersion],
    brand: Brand,
) -> Member:
    UnlinkedLineFollower.objects.create(brand=brand, uid=UID)  # the bind link offered to add the account
    BindingSettings.objects.filter(pk=binding_settings.pk).update(backend_verifies_uid=False)
    return make_member("M1", "0912-345-678")


def test_the_page_is_not_served_outside_the_demo(client: Client, settings: Any) -> None:
    settings.DEMO_MODE = False
    assert client.get("/demo/bind/?token=x").status_code == 404


def test_a_member_binds_from_the_link_with_a_code_sent_to_their_phone(
    client: Client, brand: Brand, member: Member, sandbox: SandboxProcess
) -> None:
    # given: the bind link opened in LINE, which hands the page the user's ID token
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)
    id_token = sandbox.admin("/sandbox/users/id-token", {"uid": UID, "client_id": LOGIN_CHANNEL_ID})["id_token"]
    query = {"token": token, "id_token": id_token}

    # when: the page is opened, it shows who binds to which member
    page = client.get("/demo/bind/", query).content.decode()
    assert UID in page and member.external_id in page
    assert "0912" not in page.replace(member.masked_phone, "")  # only the masked number is shown

    # and: a code is asked for and entered with the consent ticked
    sent = client.post("/demo/bind/", {**query, "action": "otp"})
    assert 'id="sent"' in sent.content.decode()
    code = Notification.objects.filter(member=member).latest("id").variables["otp_code"]
    assert re.fullmatch(r"\d{6}", code)
    done = client.post("/demo/bind/", {**query, "action": "bind", "otp": code, "consent": "yes"})

    # then: bound to the LINE user LINE named, audited as verified by LINE
    assert 'id="bound"' in done.content.decode(), done.content.decode()
    assert LineLink.objects.get(member=member).uid == UID
    assert AuditEvent.objects.get(action="line_binding.confirmed").data["uid_verified_by"] == "line_id_token"


def test_without_consent_or_with_a_wrong_code_nothing_is_bound(
    client: Client, brand: Brand, member: Member, sandbox: SandboxProcess
) -> None:
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)
    id_token = sandbox.admin("/sandbox/users/id-token", {"uid": UID, "client_id": LOGIN_CHANNEL_ID})["id_token"]
    query = {"token": token, "id_token": id_token}
    client.post("/demo/bind/", {**query, "action": "otp"})
    code = Notification.objects.filter(member=member).latest("id").variables["otp_code"]

    no_consent = client.post("/demo/bind/", {**query, "action": "bind", "otp": code})
    wrong = client.post(
        "/demo/bind/", {**query, "action": "bind", "otp": "000000" if code != "000000" else "111111", "consent": "yes"}
    )

    assert 'id="error"' in no_consent.content.decode() and 'id="error"' in wrong.content.decode()
    assert not LineLink.objects.filter(member=member, bound_at__isnull=False).exists()


def test_without_an_id_token_the_page_says_where_to_open_it(
    client: Client, brand: Brand, member: Member, settings: Any
) -> None:
    settings.DEMO_MODE = True
    token = member_token_issue(brand_id=brand.pk, member_id=member.pk)
    page = client.get("/demo/bind/", {"token": token}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="problem"' in page and "phone view" in page
