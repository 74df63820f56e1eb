"""The phone view and LINE Login's ID tokens: what a simulated user received, and acting as them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.conftest import FRIEND_UID, PHONES, make_world, phone_hash, wait_until

ACME = "1000000001"


@pytest.fixture
def phone_sandbox(start_sandbox, receiver):
    return start_sandbox(["--phone-view", "--sms-report-delay", "1"], make_world(receiver.url))


def view(sandbox, key: str) -> str:
    response = sandbox.get(f"/sandbox/phone/{key}")
    assert response.status_code == 200, response.text
    return response.text


def test_the_phone_lists_pnp_bubbles_pushes_and_sms_in_time_order(phone_sandbox) -> None:
    phone_sandbox.pnp(phone_hash(PHONES["friend"]), messages=[{"type": "text", "text": "包裹 A1 已出貨"}])
    push = phone_sandbox.post(
        "/v2/bot/message/push",
        json={"to": FRIEND_UID, "messages": [{"type": "text", "text": "推播 B2"}]},
        headers={"Authorization": "Bearer token-acme"},
    )
    assert push.status_code == 200, push.text
    sms = phone_sandbox.post(
        "/sms/send",
        json={"to": PHONES["friend"], "text": "驗證碼 123456"},
        headers={"Authorization": "Bearer sandbox-sms-key"},
    )
    assert sms.status_code in (200, 201, 202), sms.text

    page = view(phone_sandbox, PHONES["friend"])
    assert page.index("包裹 A1 已出貨") < page.index("推播 B2") < page.index("驗證碼 123456")
    assert "LINE notification message" in page and "SMS" in page


def test_a_pnp_waiting_for_first_time_consent_shows_lines_screen_until_the_user_agrees(phone_sandbox, receiver) -> None:
    phone_sandbox.pnp(phone_hash(PHONES["unset_never"]), tag="wait-for-consent-0001")
    page = view(phone_sandbox, PHONES["unset_never"])
    assert 'id="line-screen"' in page and "Agree" in page and "waiting for you on LINE" in page

    answer = phone_sandbox.post(
        f"/sandbox/phone/{PHONES['unset_never']}/act", data={"action": "agree"}, allow_redirects=False
    )
    assert answer.status_code == 303

    assert 'id="line-screen"' not in view(phone_sandbox, PHONES["unset_never"])
    assert wait_until(lambda: receiver.delivery_events("wait-for-consent-0001"), 5)


def test_blocking_from_the_phone_sends_an_unfollow_event(phone_sandbox, receiver) -> None:
    phone_sandbox.post(
        f"/sandbox/phone/{PHONES['friend']}/act", data={"action": "block", "channel": ACME}, allow_redirects=False
    )
    assert wait_until(lambda: any(e["type"] == "unfollow" for e, _ in receiver.events()), 5)
    assert "(blocked)" in view(phone_sandbox, PHONES["friend"])


def test_tapping_a_liff_link_adds_the_friend_and_opens_the_endpoint_with_an_id_token(phone_sandbox, receiver) -> None:
    url = "https://liff.line.me/1650000001-bind?token=abc"
    opened = phone_sandbox.get(
        f"/sandbox/phone/{PHONES['ok']}/open", params={"url": url, "channel": ACME}, allow_redirects=False
    )
    assert opened.status_code == 303
    target = urlsplit(opened.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == "/demo/bind/" and query["token"] == ["abc"] and query["liff_id"] == ["1650000001-bind"]
    assert wait_until(lambda: any(e["type"] == "follow" for e, _ in receiver.events()), 5)

    verified = phone_sandbox.post(
        "/oauth2/v2.1/verify", data={"id_token": query["id_token"][0], "client_id": "1650000001"}
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["iss"] == "https://access.line.me" and verified.json()["aud"] == "1650000001"


def test_the_verify_endpoint_answers_as_line_does(phone_sandbox) -> None:
    issued = phone_sandbox.admin("/sandbox/users/id-token", {"phone": PHONES["ok"], "client_id": "1650000001"})
    ok = phone_sandbox.post("/oauth2/v2.1/verify", data={"id_token": issued["id_token"], "client_id": "1650000001"})
    assert ok.json()["sub"] == issued["uid"]
    wrong = phone_sandbox.post("/oauth2/v2.1/verify", data={"id_token": issued["id_token"], "client_id": "1"})
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"error": "invalid_request", "error_description": "Invalid IdToken Audience."},
    )
    phone_sandbox.advance(3601)
    late = phone_sandbox.post("/oauth2/v2.1/verify", data={"id_token": issued["id_token"], "client_id": "1650000001"})
    assert late.json()["error_description"] == "IdToken expired."


def test_without_the_flag_there_is_no_phone_view(sandbox) -> None:
    assert sandbox.get(f"/sandbox/phone/{PHONES['ok']}").status_code == 404
