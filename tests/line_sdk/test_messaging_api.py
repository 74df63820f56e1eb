"""LINE's SDK (`MessagingApi`) against the sandbox, for each endpoint the portal calls: answers parse as its models."""

from __future__ import annotations

import uuid

import pytest
from linebot.v3.messaging import (
    ApiException,
    ErrorResponse,
    GetFollowersResponse,
    MessageQuotaResponse,
    NumberOfMessagesResponse,
    PnpMessagesRequest,
    PnpTemplatedButton,
    PnpTemplatedEmphasizedItem,
    PnpTemplatedItem,
    PnpTemplatedMessageBody,
    PnpTemplatedMessageRequest,
    PushMessageRequest,
    PushMessageResponse,
    QuotaConsumptionResponse,
    ReplyMessageRequest,
    ReplyMessageResponse,
    TextMessage,
    UserProfileResponse,
)
from linebot.v3.messaging.exceptions import ForbiddenException, NotFoundException, UnauthorizedException
from linebot.v3.messaging.models.quota_type import QuotaType

from tests.sandbox.conftest import FRIEND_UID, OK_UID, PHONES, SandboxProcess, phone_hash, wait_until

from .conftest import messaging_api

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])


def template_request(to: str = OK, content: str = "2024年8月10日(土)") -> PnpTemplatedMessageRequest:
    return PnpTemplatedMessageRequest(
        to=to,
        template_key="shipment_completed_ja",
        body=PnpTemplatedMessageBody(
            emphasized_item=PnpTemplatedEmphasizedItem(item_key="date_002_ja", content=content),
            items=[PnpTemplatedItem(item_key="number_001_ja", content="1234567")],
            buttons=[PnpTemplatedButton(button_key="contact_ja", url="https://example.com/ContactUs/")],
        ),
    )


def test_pnp_by_phone_is_answered_200_and_delivered(api, sandbox: SandboxProcess, sdk_receiver) -> None:
    tag = "sdk-pnp-" + uuid.uuid4().hex[:12]
    answer = api.push_messages_by_phone_with_http_info(
        PnpMessagesRequest(to=OK, messages=[TextMessage(text="您的包裹已送達")]), x_line_delivery_tag=tag
    )
    assert answer.status_code == 200
    assert answer.headers["x-line-request-id"]
    assert wait_until(lambda: sdk_receiver.delivery_events(tag))


def test_a_pnp_to_nobody_raises_the_sdks_exception_with_a_line_error_body(api) -> None:
    with pytest.raises(ApiException) as caught:
        api.push_messages_by_phone(PnpMessagesRequest(to=phone_hash("+886955555555"), messages=[TextMessage(text="x")]))
    assert caught.value.status == 422
    assert ErrorResponse.from_json(caught.value.body).message == "Failed to send messages"


def test_a_400_body_parses_as_lines_error_response_with_details(api) -> None:
    with pytest.raises(ApiException) as caught:
        api.push_messages_by_phone(PnpMessagesRequest(to="A" * 64, messages=[TextMessage(text="x")]))
    assert caught.value.status == 400
    error = ErrorResponse.from_json(caught.value.body)
    assert [(d.var_property, d.message) for d in error.details] == [("to", "The value must be a valid SHA-256 digest.")]


def test_a_template_pnp_is_answered_202_and_delivered(api, sdk_receiver) -> None:
    tag = "sdk-tpl-" + uuid.uuid4().hex[:12]
    answer = api.push_templated_messages_by_phone_with_http_info(template_request(), x_line_delivery_tag=tag)
    assert answer.status_code == 202
    assert wait_until(lambda: sdk_receiver.delivery_events(tag))


def test_the_sdk_refuses_a_long_emphasized_item_before_sending_and_the_sandbox_agrees(api, sandbox) -> None:
    with pytest.raises(ValueError):
        template_request(content="x" * 16)
    # the same body sent raw reaches the sandbox, which says 400 like LINE
    raw = template_request().to_dict()
    raw["body"]["emphasizedItem"]["content"] = "x" * 16
    response = sandbox.post(
        "/v2/bot/message/pnp/templated/push", json=raw, headers={"Authorization": "Bearer token-acme"}
    )
    assert response.status_code == 400
    assert ErrorResponse.from_json(response.text).details[0].var_property == "body.emphasizedItem.content"


def test_both_counts_parse_as_number_of_messages_responses(api, sandbox: SandboxProcess) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T12:00:00+09:00"})
    api.push_messages_by_phone(PnpMessagesRequest(to=OK, messages=[TextMessage(text="x")]))
    api.push_templated_messages_by_phone(template_request())
    api.push_templated_messages_by_phone(template_request())
    unready = api.get_pnp_message_statistics(var_date="20250310")
    assert isinstance(unready, NumberOfMessagesResponse)
    assert (unready.status, unready.success) == ("unready", None)
    sandbox.advance(2 * 86400)
    flexible = api.get_pnp_message_statistics(var_date="20250310")
    templated = api.get_pnp_templated_message_statistics(var_date="20250310")
    assert (flexible.status, flexible.success) == ("ready", 1)
    assert (templated.status, templated.success) == ("ready", 2)
    assert api.get_pnp_message_statistics(var_date="20180101").status == "out_of_service"
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20250309", "status": "unavailable_for_privacy"})
    assert api.get_pnp_message_statistics(var_date="20250309").status == "unavailable_for_privacy"


def test_a_push_with_a_retry_key_then_its_replay_gets_409_with_the_accepted_request_id(api) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=FRIEND_UID, messages=[TextMessage(text="您好")])
    first = api.push_message_with_http_info(request, x_line_retry_key=key)
    assert first.status_code == 200
    assert isinstance(first.data, PushMessageResponse)
    (sent,) = first.data.sent_messages
    assert sent.id and sent.quote_token
    with pytest.raises(ApiException) as caught:
        api.push_message(request, x_line_retry_key=key)
    assert caught.value.status == 409
    assert caught.value.headers["X-Line-Accepted-Request-Id"] == first.headers["x-line-request-id"]
    replay = ErrorResponse.from_json(caught.value.body)
    assert [m.id for m in replay.sent_messages] == [sent.id]


def test_follower_ids_page_through_next(api, sandbox: SandboxProcess) -> None:
    users = [
        {"phone": f"+88693{i:07d}", "uid": f"U{i:032x}", "channels": {"1000000001": {"friend": True}}}
        for i in range(1, 451)
    ]
    sandbox.admin("/sandbox/users", {"users": users})
    first = api.get_followers()
    assert isinstance(first, GetFollowersResponse)
    assert len(first.user_ids) == 300 and first.next
    second = api.get_followers(start=first.next, limit=1000)
    assert len(second.user_ids) == 451 - 300 and second.next is None
    assert FRIEND_UID in first.user_ids + second.user_ids


def test_follower_ids_for_an_account_without_access_raise_forbidden(globex_api) -> None:
    with pytest.raises(ForbiddenException) as caught:
        globex_api.get_followers()
    assert ErrorResponse.from_json(caught.value.body).message.startswith("Access to this API is not available")


def test_a_reply_to_a_follow_events_token(api, sandbox: SandboxProcess) -> None:
    event = sandbox.admin("/sandbox/users/follow", {"channel_id": "1000000001", "uid": OK_UID})["event"]
    answer = api.reply_message(
        ReplyMessageRequest(reply_token=event["replyToken"], messages=[TextMessage(text="歡迎")])
    )
    assert isinstance(answer, ReplyMessageResponse)
    assert len(answer.sent_messages) == 1
    with pytest.raises(ApiException) as caught:  # single use
        api.reply_message(ReplyMessageRequest(reply_token=event["replyToken"], messages=[TextMessage(text="x")]))
    assert caught.value.status == 400


def test_a_friends_profile_and_a_strangers_404(api) -> None:
    profile = api.get_profile(FRIEND_UID)
    assert isinstance(profile, UserProfileResponse)
    assert (profile.user_id, profile.display_name, profile.language) == (FRIEND_UID, "陳小明", "zh-TW")
    with pytest.raises(NotFoundException):
        api.get_profile(OK_UID)


def test_the_quota_and_its_consumption(api, globex_api) -> None:
    api.push_message(PushMessageRequest(to=FRIEND_UID, messages=[TextMessage(text="a"), TextMessage(text="b")]))
    quota = api.get_message_quota()
    assert isinstance(quota, MessageQuotaResponse)
    assert (quota.type, quota.value) == (QuotaType.NONE, None)
    limited = globex_api.get_message_quota()
    assert (limited.type, limited.value) == (QuotaType.LIMITED, 500)
    used = api.get_message_quota_consumption()
    assert isinstance(used, QuotaConsumptionResponse)
    assert used.total_usage == 1


def test_a_wrong_token_raises_unauthorized(sandbox: SandboxProcess) -> None:
    with pytest.raises(UnauthorizedException):
        messaging_api(sandbox.url, "no-such-token").get_message_quota()
