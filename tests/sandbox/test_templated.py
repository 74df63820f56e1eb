"""Template PNP (`/v2/bot/message/pnp/templated/push`), its count, the two 500 faults, and counting by day sent."""

from datetime import datetime

import pytest

from .conftest import FRIEND_UID, PHONES, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])
AUTH = {"Authorization": "Bearer token-acme"}
TEMPLATE = {
    "templateKey": "shipment_completed_ja",
    "body": {
        "emphasizedItem": {"itemKey": "date_002_ja", "content": "2024年8月10日(土)"},
        "items": [{"itemKey": "number_001_ja", "content": "1234567"}],
        "buttons": [{"buttonKey": "contact_ja", "url": "https://example.com/ContactUs/"}],
    },
}


def templated(sandbox, to=OK, *, tag=None, body=None, headers=None):
    hdrs = {**AUTH, **({"X-Line-Delivery-Tag": tag} if tag else {}), **(headers or {})}
    payload = {"to": to, **(TEMPLATE if body is None else body)}
    return sandbox.post("/v2/bot/message/pnp/templated/push", json=payload, headers=hdrs)


def count(sandbox, path, day):
    return sandbox.get(path, params={"date": day}, headers=AUTH).json()


def test_a_template_pnp_is_accepted_with_202_and_delivered_with_the_delivery_webhook(sandbox, receiver):
    tag = new_tag()
    response = templated(sandbox, tag=tag)
    assert (response.status_code, response.json()) == (202, {})
    assert response.headers["x-line-request-id"]
    (event,) = wait_until(lambda: receiver.delivery_events(tag))
    assert event["delivery"] == {"data": tag}
    assert sandbox.inspect(summary=1)["summary"]["outcomes"]["templated"] == {"delivered": 1}


def test_a_template_pnp_to_a_number_without_a_line_user_is_refused_with_422(sandbox):
    response = templated(sandbox, phone_hash("+886955555555"), tag=new_tag())
    assert (response.status_code, response.json()) == (422, {"message": "Failed to send messages"})


def test_a_template_pnp_without_a_tag_reports_the_hashed_number(sandbox, receiver):
    assert templated(sandbox).status_code == 202
    assert wait_until(lambda: receiver.delivery_events(OK))


def test_template_pnps_are_counted_apart_from_flexible_ones_by_the_jst_day(sandbox):
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T12:00:00+09:00"})
    templated(sandbox, tag=new_tag())
    templated(sandbox, tag=new_tag())
    sandbox.pnp(OK, tag=new_tag())
    assert count(sandbox, "/v2/bot/message/delivery/pnp/templated", "20250310") == {"status": "unready"}
    sandbox.advance(2 * 86400)
    assert count(sandbox, "/v2/bot/message/delivery/pnp/templated", "20250310") == {"status": "ready", "success": 2}
    assert count(sandbox, "/v2/bot/message/delivery/pnp", "20250310") == {"status": "ready", "success": 1}
    bad = sandbox.get("/v2/bot/message/delivery/pnp/templated", params={"date": "2025-03-10"}, headers=AUTH)
    assert bad.status_code == 400


def test_a_pnp_delivered_after_jst_midnight_counts_on_the_day_it_was_sent(sandbox, receiver):
    # given a user who consents 30 minutes after the message, sent at 23:50 JST on 10 March
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T23:50:00+09:00"})
    tag = new_tag()
    assert sandbox.pnp(phone_hash(PHONES["unset_acts"]), tag=tag).status_code == 200
    # when it is delivered at 00:20 JST on 11 March
    sandbox.advance(30 * 60 + 1)
    (event,) = wait_until(lambda: receiver.delivery_events(tag))
    assert event["timestamp"] >= datetime.fromisoformat("2025-03-11T00:00:00+09:00").timestamp() * 1000
    # then LINE's count, by the day sent, holds it on 10 March and not on 11 March
    sandbox.advance(2 * 86400)
    assert count(sandbox, "/v2/bot/message/delivery/pnp", "20250310") == {"status": "ready", "success": 1}
    assert count(sandbox, "/v2/bot/message/delivery/pnp", "20250311") == {"status": "ready", "success": 0}


def test_a_template_pnp_delivered_after_jst_midnight_counts_on_the_day_it_was_sent(sandbox, receiver):
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T23:50:00+09:00"})
    tag = new_tag()
    assert templated(sandbox, phone_hash(PHONES["unset_acts"]), tag=tag).status_code == 202
    sandbox.advance(30 * 60 + 1)
    assert wait_until(lambda: receiver.delivery_events(tag))
    sandbox.advance(2 * 86400)
    assert count(sandbox, "/v2/bot/message/delivery/pnp/templated", "20250310") == {"status": "ready", "success": 1}
    assert count(sandbox, "/v2/bot/message/delivery/pnp/templated", "20250311") == {"status": "ready", "success": 0}


def _body(**changes):
    body = {"templateKey": "shipment_completed_ja", "body": {}}
    body["body"].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"body": {}}, "templateKey"),
        ({"templateKey": ""}, "templateKey"),
        (_body(emphasizedItem={"itemKey": "date_002_ja", "content": "x" * 16}), "body.emphasizedItem.content"),
        (_body(items=[{"itemKey": f"k{i}", "content": "x"} for i in range(16)]), "body.items"),
        (_body(items=[{"itemKey": "k", "content": "x" * 301}]), "body.items[0].content"),
        (_body(items=[{"itemKey": "k", "content": "a"}, {"itemKey": "k", "content": "b"}]), "body.items[1].itemKey"),
        (
            _body(emphasizedItem={"itemKey": "k", "content": "a"}, items=[{"itemKey": "k", "content": "b"}]),
            "body.items[0].itemKey",
        ),
        (_body(items=[{"content": "a"}]), "body.items[0].itemKey"),
        (_body(buttons=[{"buttonKey": f"b{i}", "url": "https://example.com/"} for i in range(3)]), "body.buttons"),
        (_body(buttons=[{"buttonKey": "b", "url": "https://example.com/" + "x" * 981}]), "body.buttons[0].url"),
        (
            _body(
                buttons=[
                    {"buttonKey": "b", "url": "https://a.example/"},
                    {"buttonKey": "b", "url": "https://b.example/"},
                ]
            ),
            "body.buttons[1].buttonKey",
        ),
        ({"templateKey": "k", "customAggregationUnits": ["a", "b"]}, "customAggregationUnits"),
    ],
)
def test_a_bad_template_is_refused_with_400_and_a_line_style_error_body(sandbox, body, prop):
    response = templated(sandbox, tag=new_tag(), body=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["message"].startswith("The request body has ")
    assert prop in [detail["property"] for detail in payload["details"]]
    assert all(set(detail) == {"message", "property"} for detail in payload["details"])


@pytest.mark.parametrize(
    "body",
    [
        {"templateKey": "k"},
        _body(items=[], buttons=[]),
        _body(
            emphasizedItem={"itemKey": "e", "content": "x" * 15},
            items=[{"itemKey": f"k{i}", "content": "x" * 300} for i in range(15)],
            buttons=[{"buttonKey": f"b{i}", "url": "https://example.com/" + "x" * 980} for i in range(2)],
        ),
    ],
)
def test_a_template_at_the_limits_is_accepted(sandbox, body):
    assert templated(sandbox, tag=new_tag(), body=body).status_code == 202


def test_a_template_pnp_refuses_a_retry_key_and_a_bad_hash(sandbox):
    assert templated(sandbox, headers={"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"}).status_code == 400
    response = templated(sandbox, "A" * 64)
    assert response.status_code == 400
    assert response.json()["details"] == [{"message": "The value must be a valid SHA-256 digest.", "property": "to"}]


@pytest.mark.parametrize("endpoint", ["pnp", "templated"])
def test_accept_500_accepts_delivers_then_answers_500(sandbox, receiver, endpoint):
    sandbox.admin("/sandbox/faults", {"spec": f"{endpoint}:accept_500:next=1"})
    tag = new_tag()
    response = templated(sandbox, tag=tag) if endpoint == "templated" else sandbox.pnp(OK, tag=tag)
    assert response.status_code == 500
    assert "message" in response.json()
    # the message was accepted anyway: delivered once, with its webhook
    assert wait_until(lambda: receiver.delivery_events(tag))
    assert sandbox.inspect(summary=1)["summary"]["outcomes"][endpoint] == {"delivered": 1}


@pytest.mark.parametrize("endpoint", ["pnp", "templated"])
def test_a_plain_500_accepts_nothing(sandbox, receiver, endpoint):
    sandbox.admin("/sandbox/faults", {"spec": f"{endpoint}:500:next=1"})
    tag = new_tag()
    response = templated(sandbox, tag=tag) if endpoint == "templated" else sandbox.pnp(OK, tag=tag)
    assert response.status_code == 500
    sandbox.advance(60)
    assert not wait_until(lambda: receiver.delivery_events(tag), timeout=0.5)
    assert sandbox.inspect(summary=1)["summary"]["outcomes"][endpoint] == {"fault": 1}


def test_accept_500_on_push_keeps_the_retry_key_so_the_resend_gets_409(sandbox):
    sandbox.admin("/sandbox/faults", {"spec": "push:accept_500:next=1"})
    key = "123e4567-e89b-12d3-a456-426614174000"
    body = {"to": FRIEND_UID, "messages": [{"type": "text", "text": "hi"}]}
    headers = {**AUTH, "X-Line-Retry-Key": key}
    assert sandbox.post("/v2/bot/message/push", json=body, headers=headers).status_code == 500
    again = sandbox.post("/v2/bot/message/push", json=body, headers=headers)
    assert again.status_code == 409
    assert again.headers["X-Line-Accepted-Request-Id"]
