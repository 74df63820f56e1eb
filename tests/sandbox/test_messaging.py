"""Messaging API push and reply, and follow / unfollow events."""

import uuid

import pytest

from .conftest import ACME_SECRET, FRIEND_UID, OK_UID, PHONES, line_signature, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": "Bearer token-acme"}


def push(sandbox, to, retry_key=None, token="token-acme"):
    headers = {"Authorization": f"Bearer {token}"}
    if retry_key:
        headers["X-Line-Retry-Key"] = retry_key
    return sandbox.post(
        "/v2/bot/message/push", json={"to": to, "messages": [{"type": "text", "text": "hi"}]}, headers=headers
    )


def test_push_to_a_friend_returns_the_sent_messages(sandbox):
    response = push(sandbox, FRIEND_UID)
    assert response.status_code == 200
    [sent] = response.json()["sentMessages"]
    assert sent["id"] and sent["quoteToken"]


def test_push_to_a_non_friend_is_refused(sandbox):
    assert push(sandbox, OK_UID).status_code == 400
    assert push(sandbox, "U" + "0" * 32).status_code == 400


def test_push_needs_a_valid_token(sandbox):
    assert push(sandbox, FRIEND_UID, token="nope").status_code == 401


def test_a_repeated_retry_key_within_24_hours_gets_409_with_the_accepted_request_id(sandbox):
    key = str(uuid.uuid4())
    first = push(sandbox, FRIEND_UID, retry_key=key)
    assert first.status_code == 200
    again = push(sandbox, FRIEND_UID, retry_key=key)
    assert again.status_code == 409
    assert again.headers["X-Line-Accepted-Request-Id"] == first.headers["x-line-request-id"]
    assert again.json()["sentMessages"] == first.json()["sentMessages"]
    sandbox.advance(24 * 3600 + 1)
    assert push(sandbox, FRIEND_UID, retry_key=key).status_code == 200


def test_a_retry_key_that_is_not_a_uuid_is_refused(sandbox):
    assert push(sandbox, FRIEND_UID, retry_key="not-a-uuid").status_code == 400


def follow(sandbox, phone, follow=True):
    return sandbox.admin(
        "/sandbox/users/" + ("follow" if follow else "unfollow"), {"channel_id": "1000000001", "phone": phone}
    )["event"]


def test_follow_and_unfollow_send_signed_events_and_change_friendship(sandbox, receiver):
    event = follow(sandbox, PHONES["ok"])
    events = wait_until(lambda: [e for e, _ in receiver.events("acme") if e["type"] == "follow"])
    [(received, post)] = [(e, r) for e, r in receiver.events("acme") if e["type"] == "follow"]
    assert events and received == event
    assert post.headers["x-line-signature"] == line_signature(ACME_SECRET, post.body)
    assert received["source"] == {"type": "user", "userId": OK_UID}
    assert received["follow"] == {"isUnblocked": False}
    assert received["replyToken"]
    assert push(sandbox, OK_UID).status_code == 200

    follow(sandbox, PHONES["ok"], follow=False)
    [unfollow] = wait_until(lambda: [e for e, _ in receiver.events("acme") if e["type"] == "unfollow"])
    [post] = [r for e, r in receiver.events("acme") if e["type"] == "unfollow"]
    assert post.headers["x-line-signature"] == line_signature(ACME_SECRET, post.body)
    assert unfollow["source"]["userId"] == OK_UID
    assert "replyToken" not in unfollow
    assert push(sandbox, OK_UID).status_code == 400
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["ok"]), tag=tag).status_code == 200
    assert sandbox.records(tag=tag)[0]["outcome"] == "blocked"

    again = follow(sandbox, PHONES["ok"])
    assert again["follow"] == {"isUnblocked": True}


def test_a_reply_token_from_a_follow_event_works_once(sandbox):
    token = follow(sandbox, PHONES["ok"])["replyToken"]
    body = {"replyToken": token, "messages": [{"type": "text", "text": "welcome"}]}
    first = sandbox.post("/v2/bot/message/reply", json=body, headers=AUTH)
    assert first.status_code == 200
    assert first.json()["sentMessages"]
    assert sandbox.post("/v2/bot/message/reply", json=body, headers=AUTH).status_code == 400


def test_a_reply_token_expires(sandbox):
    token = follow(sandbox, PHONES["ok"])["replyToken"]
    sandbox.advance(120)
    body = {"replyToken": token, "messages": [{"type": "text", "text": "late"}]}
    assert sandbox.post("/v2/bot/message/reply", json=body, headers=AUTH).status_code == 400
