"""LINE's SDK `WebhookParser` reads every kind of webhook the sandbox sends, signature checked, events typed.

The parser turns an event it cannot validate into an `UnknownEvent` instead of failing, so each test
asserts the event's class: an `UnknownEvent` here means the sandbox sent something LINE's models refuse.
"""

from __future__ import annotations

import uuid

import pytest
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PnpDeliveryCompletionEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from tests.sandbox.conftest import (
    ACME_SECRET,
    BOT_ACME,
    FRIEND_UID,
    OK_UID,
    PHONES,
    Receiver,
    SandboxProcess,
    phone_hash,
    wait_until,
)

pytestmark = pytest.mark.timeout(60)

parser = WebhookParser(ACME_SECRET)


def parsed(receiver: Receiver, event_type: str, timeout: float = 5.0) -> list:
    """Every event of `event_type` the sandbox posted, each request parsed by the SDK with its signature."""

    def collect() -> list:
        found = []
        for request in receiver.line_posts("acme"):
            payload = parser.parse(request.body.decode(), request.headers["x-line-signature"], as_payload=True)
            assert payload.destination == BOT_ACME
            found += [e for e in payload.events if e.type == event_type]
        return found

    return wait_until(collect, timeout=timeout)


def pnp(sandbox: SandboxProcess, path: str, body: dict, tag: str | None) -> int:
    headers = {"Authorization": "Bearer token-acme", **({"X-Line-Delivery-Tag": tag} if tag else {})}
    return sandbox.post(path, json=body, headers=headers).status_code


def test_a_pnp_delivery_completion_parses_as_pnp_delivery_completion_event(sandbox, sdk_receiver) -> None:
    tag = "sdk-webhook-" + uuid.uuid4().hex[:8]
    body = {"to": phone_hash(PHONES["ok"]), "messages": [{"type": "text", "text": "x"}]}
    assert pnp(sandbox, "/bot/pnp/push", body, tag) == 200
    (event,) = parsed(sdk_receiver, "delivery")
    assert isinstance(event, PnpDeliveryCompletionEvent)
    assert event.delivery.data == tag
    assert event.delivery_context.is_redelivery is False
    assert event.mode == "active" and event.webhook_event_id and event.timestamp
    assert event.source is None  # LINE removed source/userId from delivery events on 28 Jan 2025


def test_a_template_pnps_delivery_without_a_tag_carries_the_hashed_number(sandbox, sdk_receiver) -> None:
    body = {"to": phone_hash(PHONES["ok"]), "templateKey": "shipment_completed_ja"}
    assert pnp(sandbox, "/v2/bot/message/pnp/templated/push", body, None) == 202
    (event,) = parsed(sdk_receiver, "delivery")
    assert isinstance(event, PnpDeliveryCompletionEvent)
    assert event.delivery.data == phone_hash(PHONES["ok"])


def test_follow_and_unfollow_parse_as_their_events(sandbox, sdk_receiver) -> None:
    sandbox.admin("/sandbox/users/follow", {"channel_id": "1000000001", "uid": OK_UID})
    sandbox.admin("/sandbox/users/unfollow", {"channel_id": "1000000001", "uid": FRIEND_UID})
    (follow,) = parsed(sdk_receiver, "follow")
    (unfollow,) = parsed(sdk_receiver, "unfollow")
    assert isinstance(follow, FollowEvent)
    assert isinstance(follow.source, UserSource) and follow.source.user_id == OK_UID
    assert follow.reply_token and follow.follow.is_unblocked is False
    assert isinstance(unfollow, UnfollowEvent)
    assert unfollow.source.user_id == FRIEND_UID


def test_a_follow_after_a_block_says_unblocked(sandbox, sdk_receiver) -> None:
    sandbox.admin("/sandbox/users/follow", {"channel_id": "1000000001", "phone": PHONES["blocked"]})
    (follow,) = parsed(sdk_receiver, "follow")
    assert follow.follow.is_unblocked is True


def test_a_text_message_parses_as_a_message_event_with_text_content(sandbox, sdk_receiver) -> None:
    sandbox.admin("/sandbox/users/message", {"channel_id": "1000000001", "uid": FRIEND_UID, "text": "請問運費？"})
    (event,) = parsed(sdk_receiver, "message")
    assert isinstance(event, MessageEvent)
    assert isinstance(event.message, TextMessageContent)
    assert event.message.text == "請問運費？" and event.message.id and event.message.quote_token
    assert event.reply_token and event.source.user_id == FRIEND_UID


def test_a_redelivered_event_parses_with_is_redelivery_and_the_same_id(sandbox, sdk_receiver) -> None:
    sdk_receiver.plan = [500]  # the portal fails once: the sandbox redelivers
    sandbox.admin("/sandbox/users/follow", {"channel_id": "1000000001", "uid": OK_UID})
    first, again = wait_until(lambda: len(parsed(sdk_receiver, "follow")) == 2 and parsed(sdk_receiver, "follow"))
    assert (first.delivery_context.is_redelivery, again.delivery_context.is_redelivery) == (False, True)
    assert first.webhook_event_id == again.webhook_event_id


def test_a_webhook_checked_with_another_secret_is_refused_by_the_sdk(sandbox, sdk_receiver) -> None:
    sandbox.admin("/sandbox/users/follow", {"channel_id": "1000000001", "uid": OK_UID})
    (request,) = wait_until(lambda: sdk_receiver.line_posts("acme"))
    with pytest.raises(InvalidSignatureError):
        WebhookParser("0" * 32).parse(request.body.decode(), request.headers["x-line-signature"])
