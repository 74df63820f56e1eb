"""The member page shows reachability with its reasons and the sections other apps register."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django.utils.html import format_html
from django.utils.safestring import SafeString

from members import hooks
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/admin/members/member/{}/change/"


@pytest.fixture
def section() -> Iterator[None]:
    def shown(request: HttpRequest, member: Member) -> SafeString | None:
        return format_html('<div id="extra-section">history of {}</div>', member.external_id)

    before = list(hooks._sections)
    hooks.member_page_section_register(shown)
    hooks.member_page_section_register(shown)  # registering twice adds it once
    yield
    hooks._sections[:] = before


def test_reachability_is_shown_with_the_reason_for_each_closed_channel(
    client: Client, manager: User, make_member: Callable[..., Member]
) -> None:
    member = make_member("M1", "0912-345-678")
    consent_record(
        member=member,
        purpose=ConsentPurpose.PNP_NOTIFICATION,
        granted=True,
        source=ConsentSource.API,
        evidence="form",
        actor="test",
    )
    assert client.login(username=manager.username, password=PASSWORD)
    body = client.get(PAGE.format(member.pk)).content.decode()
    assert '<fieldset class="module" id="reachability">' in body
    assert '<tr class="reach-open"><td>LINE notification message (PNP)</td>' in body
    assert "Phone number and LINE account are not bound." in body
    assert "No SMS consent recorded." in body


def test_registered_sections_appear_once_on_the_member_page(
    client: Client, manager: User, make_member: Callable[..., Member], section: None
) -> None:
    member = make_member("M1", "0912-345-678")
    assert client.login(username=manager.username, password=PASSWORD)
    body = client.get(PAGE.format(member.pk)).content.decode()
    assert body.count('<div id="extra-section">history of M1</div>') == 1


def test_another_brands_member_page_shows_neither(
    client: Client, other_manager: User, make_member: Callable[..., Member], section: None
) -> None:
    member = make_member("M1", "0912-345-678")
    assert client.login(username=other_manager.username, password=PASSWORD)
    response = client.get(PAGE.format(member.pk))
    assert response.status_code in (302, 404)
    assert "history of M1" not in response.content.decode()
