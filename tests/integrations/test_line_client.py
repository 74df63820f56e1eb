"""The LINE client on the wire: each request carries its own token, tag and body, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from integrations import line as line_client
from integrations import sending
from tests.sandbox.conftest import Receiver


@pytest.fixture
def line_api(settings: object) -> Iterator[Receiver]:
    receiver = Receiver()
    settings.LINE_API_BASE_URL = receiver.url  # type: ignore[attr-defined]
    yield receiver
    receiver.close()


def test_each_push_carries_its_own_token_tag_and_body(line_api: Receiver) -> None:
    messages = [{"type": "text", "text": "您的訂單已出貨"}]
    line_client.pnp_push(access_token="token-a", phone_hash="a" * 64, messages=messages, delivery_tag="tag-a" * 4)
    line_client.pnp_push(access_token="token-b", phone_hash="b" * 64, messages=messages, delivery_tag="tag-b" * 4)

    first, second = line_api.paths("/bot/pnp/push")
    for received, token, tag, to in ((first, "token-a", "tag-a", "a"), (second, "token-b", "tag-b", "b")):
        assert received.method == "POST"
        assert received.headers["authorization"] == f"Bearer {token}"
        assert received.headers["x-line-delivery-tag"] == tag * 4
        assert received.headers["content-type"] == "application/json"
        assert received.headers["user-agent"].startswith("pnp-portal/")
        assert json.loads(received.body) == {"to": to * 64, "messages": messages}
        assert int(received.headers["content-length"]) == len(received.body)


def test_a_get_carries_its_query_and_no_body(line_api: Receiver) -> None:
    line_client.pnp_delivery_count(access_token="token-a", jst_day=date(2026, 11, 25))

    (received,) = line_api.paths("/v2/bot/message/delivery/pnp")
    assert (received.method, received.query, received.body) == ("GET", {"date": "20261125"}, b"")
    assert "x-line-delivery-tag" not in received.headers


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status":"ready","success":42}', ("ready", 42)),
        (b'{"status":"unready"}', ("unready", None)),
        (b'{"status":"ready"}', ("ready", None)),  # ready without a number: not read as 0
        (b'{"status":"ready","success":"42"}', ("ready", None)),
        (b'{"status":"ready","success":-1}', ("ready", None)),
        (b'{"status":"ready","success":true}', ("ready", None)),
        (b'{"success":5}', ("", 5)),
        (b"[1,2]", ("", None)),
        (b'{"status":"' + b"x" * 80 + b'"}', ("x" * 32, None)),
        (b'{"status":"re\\u0000ady"}', ("re\ufffdady", None)),
    ],
)
def test_a_count_answer_the_reference_does_not_describe_is_kept_raw_never_read_as_zero(
    line_api: Receiver, body: bytes, expected: tuple[str, int | None]
) -> None:
    line_api.bodies.append(body)

    answer = line_client.pnp_delivery_count(access_token="token-a", jst_day=date(2026, 11, 25))

    assert (answer.status, answer.success) == expected
    assert answer.raw == body.decode()


def test_a_count_answer_that_is_not_json_is_an_error_with_lines_body(line_api: Receiver) -> None:
    line_api.bodies.append(b"<html>maintenance</html>")

    with pytest.raises(line_client.LineRequestError) as raised:
        line_client.pnp_delivery_count(access_token="token-a", jst_day=date(2026, 11, 25))

    assert raised.value.body == "<html>maintenance</html>"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_to_a_pnp_is_ambiguous_because_line_may_have_delivered_it(line_api: Receiver, status: int) -> None:
    # LINE's retry guidance: after a 500 or a timeout the request may have been processed, and
    # a PNP has no X-Line-Retry-Key, so a resend could notify the member twice.
    line_api.plan.append(status)

    with pytest.raises(line_client.LineAmbiguousError) as raised:
        line_client.pnp_push(access_token="t", phone_hash="a" * 64, messages=[], delivery_tag="tag-5xx-000000000")

    assert raised.value.status == status
    assert not sending.retry_is_safe(raised.value, retry_key=False)
    assert sending.retry_is_safe(raised.value, retry_key=True)  # a push repeats under its retry key


def test_a_429_to_a_pnp_and_a_5xx_to_a_read_are_safe_to_retry(line_api: Receiver) -> None:
    line_api.plan.extend([429, 500])

    with pytest.raises(line_client.LineRetryableError) as pnp_raised:
        line_client.pnp_push(access_token="t", phone_hash="a" * 64, messages=[], delivery_tag="tag-429-000000000")
    with pytest.raises(line_client.LineRetryableError) as count_raised:
        line_client.pnp_delivery_count(access_token="t", jst_day=date(2026, 11, 25))

    assert (pnp_raised.value.status, count_raised.value.status) == (429, 500)
    assert sending.retry_is_safe(pnp_raised.value, retry_key=False)


def test_a_profile_request_is_not_kept_as_a_template_per_user(line_api: Receiver) -> None:
    # One prepared request is kept per fixed path; a path with a user id in it must not grow that cache.
    from integrations import http

    line_api.bodies.extend([b'{"userId":"U1","displayName":"A"}', b'{"userId":"U2","displayName":"B"}'])
    line_client.profile(access_token="t", user_id="U" + "1" * 32)
    line_client.profile(access_token="t", user_id="U" + "2" * 32)

    assert not [key for key in http._local.templates if "/v2/bot/profile/" in key[1]]


@pytest.mark.parametrize("body", [b"<html>busy</html>", b"[]", b'{"displayName":"no id"}'])
def test_a_profile_answer_that_is_not_a_profile_is_an_error_with_lines_body(line_api: Receiver, body: bytes) -> None:
    line_api.bodies.append(body)

    with pytest.raises(line_client.LineRequestError) as raised:
        line_client.profile(access_token="t", user_id="U" + "1" * 32)

    assert raised.value.body == body.decode()
