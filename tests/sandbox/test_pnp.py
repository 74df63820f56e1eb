"""POST /bot/pnp/push: authentication, validation and the outcome matrix of LINE_PNP_API.md §5."""

import pytest

from .conftest import ACME_SECRET, BOT_ACME, PHONES, line_signature, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])


def test_missing_or_unknown_token_is_refused_with_401(sandbox):
    no_auth = sandbox.post("/bot/pnp/push", json={"to": OK, "messages": [{"type": "text", "text": "x"}]})
    wrong = sandbox.pnp(OK, token="nope")
    assert no_auth.status_code == 401
    assert wrong.status_code == 401
    assert wrong.json()["message"].startswith("Authentication failed")


@pytest.mark.parametrize("to", [OK.upper(), OK[:-1], "+886900000001", "", 12])
def test_a_to_that_is_not_a_lowercase_sha256_digest_is_refused_in_lines_error_shape(sandbox, to):
    response = sandbox.pnp(to)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "The value must be a valid SHA-256 digest.", "property": "to"}],
    }


@pytest.mark.parametrize("messages", [[], [{"type": "text", "text": "x"}] * 6, None, "hello"])
def test_messages_must_hold_one_to_five_items(sandbox, messages):
    response = sandbox.post(
        "/bot/pnp/push", json={"to": OK, "messages": messages}, headers={"Authorization": "Bearer token-acme"}
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "messages"


def test_five_messages_are_accepted(sandbox):
    assert sandbox.pnp(OK, messages=[{"type": "text", "text": str(i)} for i in range(5)]).status_code == 200


def test_text_over_5000_characters_is_refused(sandbox):
    assert sandbox.pnp(OK, messages=[{"type": "text", "text": "字" * 5000}]).status_code == 200
    response = sandbox.pnp(OK, messages=[{"type": "text", "text": "字" * 5001}])
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "messages[0].text"


@pytest.mark.parametrize("kind", ["image", "video", "audio"])
def test_image_video_and_audio_messages_are_refused(sandbox, kind):
    response = sandbox.pnp(OK, messages=[{"type": kind, "originalContentUrl": "https://example.com/a"}])
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "messages[0].type"


@pytest.mark.parametrize("length", [15, 101])
def test_a_delivery_tag_outside_16_to_100_characters_is_refused(sandbox, length):
    response = sandbox.pnp(OK, tag="x" * length)
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "X-Line-Delivery-Tag"


@pytest.mark.parametrize("length", [16, 100])
def test_delivery_tags_of_16_and_100_characters_are_accepted(sandbox, length):
    assert sandbox.pnp(OK, tag="y" * length).status_code == 200


def test_any_retry_key_is_refused_because_pnp_does_not_support_it(sandbox):
    response = sandbox.pnp(OK, headers={"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"})
    assert response.status_code == 400


def test_a_body_over_2_mb_is_refused_with_413(sandbox):
    big = "a" * (2 * 1024 * 1024 + 10)
    response = sandbox.post(
        "/bot/pnp/push",
        data=f'{{"to":"{OK}","messages":[],"pad":"{big}"}}'.encode(),
        headers={"Authorization": "Bearer token-acme", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_a_body_that_is_not_json_is_refused(sandbox):
    response = sandbox.post("/bot/pnp/push", data=b"{nope", headers={"Authorization": "Bearer token-acme"})
    assert response.status_code == 400


def test_a_number_with_no_line_user_gets_422(sandbox):
    response = sandbox.pnp(phone_hash("+886987654321"))
    assert response.status_code == 422
    assert response.json() == {"message": "Failed to send messages"}


def test_a_user_who_rejected_notification_messages_gets_422(sandbox):
    assert sandbox.pnp(phone_hash(PHONES["off"])).status_code == 422


def test_a_user_without_privacy_policy_consent_gets_422(sandbox):
    assert sandbox.pnp(phone_hash(PHONES["no_privacy"])).status_code == 422


def test_a_user_who_blocked_the_oa_gets_200_but_never_receives_it_and_no_webhook_is_sent(sandbox, receiver):
    tag = new_tag()
    response = sandbox.pnp(phone_hash(PHONES["blocked"]), tag=tag)
    assert response.status_code == 200
    assert response.json() == {}
    sandbox.advance(2 * 86400)
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    [record] = sandbox.records(tag=tag)
    assert record["outcome"] == "blocked"
    assert record["delivered_at_ms"] is None


def test_an_eligible_user_receives_it_at_once_with_a_signed_webhook_carrying_the_tag(sandbox, receiver):
    tag = new_tag()
    response = sandbox.pnp(OK, tag=tag)
    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["x-line-request-id"]
    [event] = wait_until(lambda: receiver.delivery_events(tag))
    post = next(r for r in receiver.line_posts("acme") if tag.encode() in r.body)
    assert post.headers["x-line-signature"] == line_signature(ACME_SECRET, post.body)
    assert post.json()["destination"] == BOT_ACME
    assert event["deliveryContext"] == {"isRedelivery": False}
    assert event["mode"] == "active"
    assert len(event["webhookEventId"]) == 26
    assert "source" not in event
    assert abs(event["timestamp"] - sandbox.get("/sandbox/clock").json()["now_ms"]) < 5000
    [record] = sandbox.records(tag=tag)
    assert record["outcome"] == "delivered"


def test_without_a_tag_the_webhook_carries_the_hashed_phone(sandbox, receiver):
    assert sandbox.pnp(OK).status_code == 200
    assert wait_until(lambda: receiver.delivery_events(OK))


def test_unset_consent_is_delivered_only_when_the_user_acts_within_24_hours(sandbox, receiver):
    to = phone_hash(PHONES["unset_acts"])
    tag = new_tag()
    assert sandbox.pnp(to, tag=tag).status_code == 200
    sandbox.advance(29 * 60)
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    assert sandbox.records(tag=tag)[0]["outcome"] == "pending_user_action"
    sent_at = sandbox.records(tag=tag)[0]["time_ms"]
    sandbox.advance(2 * 60)
    [event] = wait_until(lambda: receiver.delivery_events(tag))
    assert abs(event["timestamp"] - (sent_at + 30 * 60 * 1000)) <= 1
    assert sandbox.records(tag=tag)[0]["outcome"] == "delivered"
    # the user has consented now, globally: the next PNP, from another brand too, arrives at once
    assert sandbox.get(f"/sandbox/users/{PHONES['unset_acts']}").json()["consent"] == "on"
    second = new_tag()
    assert sandbox.pnp(to, tag=second, token="token-globex").status_code == 200
    assert sandbox.records(tag=second)[0]["outcome"] == "delivered"


def test_unset_consent_that_never_acts_is_dropped_after_24_hours(sandbox, receiver):
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["unset_never"]), tag=tag).status_code == 200
    sandbox.advance(24 * 3600 + 1)
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    assert sandbox.records(tag=tag)[0]["outcome"] == "expired"


def test_a_user_who_acts_after_24_hours_never_gets_the_message_but_is_consented_afterwards(sandbox, receiver):
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["unset_late"]), tag=tag).status_code == 200
    sandbox.advance(2001 * 60)
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    assert sandbox.records(tag=tag)[0]["outcome"] == "expired"
    assert sandbox.get(f"/sandbox/users/{PHONES['unset_late']}").json()["consent"] == "on"


def test_sms_verification_due_is_delivered_once_the_user_verifies(sandbox, receiver):
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["sms_due_acts"]), tag=tag).status_code == 200
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    sandbox.advance(61 * 60)
    assert wait_until(lambda: receiver.delivery_events(tag))
    user = sandbox.get(f"/sandbox/users/{PHONES['sms_due_acts']}").json()
    assert user["sms_verified_days_ago"] < 0.01


def test_sms_verification_due_without_verifying_is_never_delivered(sandbox, receiver):
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["sms_due_never"]), tag=tag).status_code == 200
    sandbox.advance(25 * 3600)
    sandbox.quiet()
    assert receiver.delivery_events(tag) == []
    assert sandbox.records(tag=tag)[0]["outcome"] == "expired"


def test_inspection_counts_deliveries_per_tag_so_a_duplicate_send_shows(sandbox, receiver):
    tag = new_tag()
    sandbox.pnp(OK, tag=tag)
    sandbox.pnp(OK, tag=tag)
    data = sandbox.inspect(tag=tag)
    assert data["deliveries"] == [{"channel_id": "1000000001", "data": tag, "count": 2}]
    assert data["summary"]["keys_delivered_more_than_once"] == 1
    summary = sandbox.inspect(summary=1)
    assert set(summary) == {"summary"}
    assert summary["summary"]["outcomes"]["pnp"]["delivered"] == 2


def test_a_brand_slug_without_webhook_url_gets_the_portal_default_url(sandbox, receiver):
    tag = new_tag()
    assert sandbox.pnp(OK, tag=tag, token="token-globex").status_code == 200
    assert wait_until(lambda: receiver.delivery_events(tag))
    assert receiver.line_posts("globex")
