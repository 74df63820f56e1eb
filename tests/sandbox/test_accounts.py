"""Follower ids (paging, 403 for an account without access), profiles (404 for a non-friend), the message quota."""

import pytest

from .conftest import FRIEND_UID, OK_UID

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": "Bearer token-acme"}
GLOBEX = {"Authorization": "Bearer token-globex"}


def friends(count: int) -> list[dict]:
    return [
        {
            "phone": f"+88691{i:07d}",
            "uid": f"U{i:032x}",
            "channels": {"1000000001": {"friend": True, "blocked": i % 10 == 0}},
        }
        for i in range(1, count + 1)
    ]


def test_follower_ids_come_in_pages_of_300_by_default_until_next_is_absent(sandbox):
    # given 700 friends of acme, 70 of whom have blocked it, plus the world's one friend
    sandbox.admin("/sandbox/users", {"users": friends(700)})
    # when all pages are read
    pages, start = [], None
    while True:
        params = {"start": start} if start else {}
        response = sandbox.get("/v2/bot/followers/ids", params=params, headers=AUTH)
        assert response.status_code == 200
        pages.append(response.json())
        start = pages[-1].get("next")
        if start is None:
            break
    # then each holds at most 300, `next` is only on pages with more after them, and nobody blocked is listed
    assert [len(p["userIds"]) for p in pages] == [300, 300, 31]
    ids = [uid for p in pages for uid in p["userIds"]]
    assert len(set(ids)) == 631
    assert FRIEND_UID in ids
    assert "U" + f"{10:032x}" not in ids
    assert "next" not in pages[-1]


def test_limit_is_honoured_up_to_1000(sandbox):
    sandbox.admin("/sandbox/users", {"users": friends(1200)})
    first = sandbox.get("/v2/bot/followers/ids", params={"limit": 1000}, headers=AUTH).json()
    assert len(first["userIds"]) == 1000
    rest = sandbox.get("/v2/bot/followers/ids", params={"limit": 1000, "start": first["next"]}, headers=AUTH).json()
    assert len(rest["userIds"]) == 1200 - 120 + 1 - 1000
    assert "next" not in rest


@pytest.mark.parametrize("params", [{"limit": 1001}, {"limit": 0}, {"limit": "x"}, {"start": "not-a-token"}])
def test_a_bad_limit_or_start_is_refused_with_400(sandbox, params):
    response = sandbox.get("/v2/bot/followers/ids", params=params, headers=AUTH)
    assert response.status_code == 400
    assert "message" in response.json()


def test_an_account_without_access_to_the_follower_list_gets_403(sandbox):
    response = sandbox.get("/v2/bot/followers/ids", headers=GLOBEX)
    assert response.status_code == 403
    assert response.json() == {"message": "Access to this API is not available for your account"}


def test_a_bad_token_gets_401(sandbox):
    assert sandbox.get("/v2/bot/followers/ids", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert sandbox.get(f"/v2/bot/profile/{FRIEND_UID}", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_friends_profile_is_returned(sandbox):
    response = sandbox.get(f"/v2/bot/profile/{FRIEND_UID}", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"displayName": "陳小明", "userId": FRIEND_UID, "language": "zh-TW"}


@pytest.mark.parametrize("uid", [OK_UID, "U" + "0" * 32, "nobody"])
def test_a_non_friends_profile_is_404(sandbox, uid):
    # OK_UID has a link to acme but is not a friend; the others are unknown
    response = sandbox.get(f"/v2/bot/profile/{uid}", headers=AUTH)
    assert (response.status_code, response.json()) == (404, {"message": "Not found"})


def test_a_user_who_blocked_the_account_has_no_profile(sandbox):
    sandbox.admin("/sandbox/users/unfollow", {"channel_id": "1000000001", "uid": FRIEND_UID})
    assert sandbox.get(f"/v2/bot/profile/{FRIEND_UID}", headers=AUTH).status_code == 404


def test_the_quota_is_none_or_limited_and_consumption_counts_this_months_pushes(sandbox):
    assert sandbox.get("/v2/bot/message/quota", headers=AUTH).json() == {"type": "none"}
    assert sandbox.get("/v2/bot/message/quota", headers=GLOBEX).json() == {"type": "limited", "value": 500}
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-31T23:00:00+09:00"})
    push = {"to": FRIEND_UID, "messages": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    assert sandbox.post("/v2/bot/message/push", json=push, headers=AUTH).status_code == 200
    consumption = sandbox.get("/v2/bot/message/quota/consumption", headers=AUTH)
    assert consumption.json() == {"totalUsage": 1}  # once per recipient, whatever the number of message objects
    sandbox.advance(3600)  # April in JST: a new month
    assert sandbox.get("/v2/bot/message/quota/consumption", headers=AUTH).json() == {"totalUsage": 0}
    assert sandbox.get("/v2/bot/message/quota/consumption", headers=GLOBEX).json() == {"totalUsage": 0}
