"""The LINE client on the wire: each request carries its own token, tag and body, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from notifications.clients import line as line_client
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
