"""The friend list kept with LINE's follower ids: the sandbox over HTTP, the real client, the admin action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from binding.models import BindingSettings
from binding.services import line_friends_sync
from members.choices import ConsentPurpose
from members.models import LineLink, Member, UnlinkedLineFollower
from members.services import consent_record, line_link_bind, line_link_update
from portal.models import AuditEvent, Brand
from tests.sandbox.conftest import SandboxProcess

pytestmark = pytest.mark.timeout(90)


def uid(n: int) -> str:
    return "U" + f"{n:032x}"


def world(brand: Brand, *, friends: range, blocked: range = range(0), followers_api: bool = True) -> dict[str, Any]:
    channel = brand.line_channel_id
    users = [
        {"phone": f"+8869130{n:05d}", "uid": uid(n), "channels": {channel: {"friend": True, "blocked": n in blocked}}}
        for n in friends
    ]
    return {
        "channels": [
            {
                "channel_id": channel,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "brand_slug": brand.slug,
                "followers_api": followers_api,
            }
        ],
        "users": users,
    }


@pytest.fixture
def start_sandbox(tmp_path: Path, settings: Any) -> Iterator[Callable[[dict[str, Any]], SandboxProcess]]:
    started: list[SandboxProcess] = []

    def start(world_data: dict[str, Any]) -> SandboxProcess:
        process = SandboxProcess([], tmp_path, world=world_data)
        settings.LINE_API_BASE_URL = process.url
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def bound(make_member: Callable[..., Member], n: int, *, is_friend: bool) -> Member:
    member = make_member(f"F{n}", f"09130{n:05d}")
    consent = consent_record(member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source="app", actor="t")
    line_link_bind(member=member, uid=uid(n), consent=consent, actor="t")
    line_link_update(brand=member.brand, uid=uid(n), is_friend=is_friend, actor="t")
    return member


def test_a_sync_marks_each_known_line_user_friend_or_not_from_lines_follower_list(
    brand: Brand, make_member: Callable[..., Member], start_sandbox: Callable[..., SandboxProcess]
) -> None:
    # given: LINE lists users 1–1,500 as friends (1,500 → two pages of 1,000); user 3 blocked the account
    start_sandbox(world(brand, friends=range(1, 1501), blocked=range(3, 4)))
    before_go_live = bound(make_member, 1, is_friend=False)  # friend from before go-live: no event ever came
    blocked = bound(make_member, 3, is_friend=True)  # the unfollow event was missed
    left = bound(make_member, 2000, is_friend=True)  # not on LINE's list any more
    UnlinkedLineFollower.objects.create(brand=brand, uid=uid(2001), is_friend=True)

    result = line_friends_sync(brand=brand, actor="test")

    links = {link.member_id: link for link in LineLink.objects.filter(brand=brand)}
    assert (links[before_go_live.pk].is_friend, links[blocked.pk].is_friend, links[left.pk].is_friend) == (
        True,
        False,
        False,
    )
    assert result.available and result.followers == 1499
    assert (result.bound_now_friends, result.bound_no_longer_friends) == (1, 2)
    # LINE's other followers are kept as unbound followers (for the welcome and later binding)
    assert UnlinkedLineFollower.objects.filter(brand=brand, is_friend=True).count() == 1498
    assert not UnlinkedLineFollower.objects.get(uid=uid(2001)).is_friend
    event = AuditEvent.objects.get(action="line_friends.synced")
    assert event.data["followers"] == 1499 and event.brand_id == brand.pk

    # a second sync changes nothing
    again = line_friends_sync(brand=brand, actor="test")
    assert (again.bound_now_friends, again.bound_no_longer_friends, again.followers_added) == (0, 0, 0)


def test_an_account_line_gives_no_follower_list_is_recorded_as_not_available_and_nothing_changes(
    brand: Brand, make_member: Callable[..., Member], start_sandbox: Callable[..., SandboxProcess]
) -> None:
    start_sandbox(world(brand, friends=range(1, 5), followers_api=False))
    member = bound(make_member, 7, is_friend=True)

    result = line_friends_sync(brand=brand, actor="test")

    assert not result.available
    assert LineLink.objects.get(member=member).is_friend
    assert AuditEvent.objects.get(action="line_friends.synced").data["available"] is False


def test_a_manager_syncs_friends_from_the_binding_settings_and_sees_what_changed(
    brand: Brand,
    other_brand: Brand,
    manager: User,
    make_member: Callable[..., Member],
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    start_sandbox(world(brand, friends=range(1, 11)))
    bound(make_member, 1, is_friend=False)
    own = BindingSettings.objects.create(brand=brand, page_url_template="https://example.com/bind/{token}")
    other = BindingSettings.objects.create(brand=other_brand, page_url_template="https://example.com/bind/{token}")
    client = Client()
    client.force_login(manager)

    response = client.post(
        "/admin/binding/bindingsettings/",
        {"action": "sync_line_friends", "_selected_action": [own.pk, other.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    summary = "10 followers on LINE; 1 bound members became friends, 0 are no longer friends; 9 new unbound followers."
    assert texts == [f"{brand}: {summary}"]
    # the other brand's settings were not in the manager's list, so nothing was asked for it
    assert AuditEvent.objects.filter(action="line_friends.synced").count() == 1
