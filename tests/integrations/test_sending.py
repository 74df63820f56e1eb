"""The one limited send to LINE: a token first, then the client; and which errors may be retried."""

from typing import Any

import pytest

from integrations import line, sending
from integrations.sending import line_send_limited, retry_is_safe


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for name in ("pnp_push", "message_push", "message_reply"):
        monkeypatch.setattr(line, name, lambda _name=name, **kw: calls.append((_name, kw)) or "req-1")
    return calls


def test_each_endpoint_sends_with_its_own_client_function(
    sent: list[tuple[str, dict[str, Any]]], settings: Any
) -> None:
    settings.REDIS_URL = ""
    line_send_limited(sending.PNP, channel_id="c-1", access_token="t", phone_hash="h", messages=[], delivery_tag="d")
    line_send_limited(sending.PUSH, channel_id="c-1", access_token="t", to="U1", messages=[], retry_key="k")
    line_send_limited(sending.REPLY, channel_id="c-1", access_token="t", reply_token="r", messages=[])
    assert [name for name, _ in sent] == ["pnp_push", "message_push", "message_reply"]
    assert sent[0][1] == {"access_token": "t", "phone_hash": "h", "messages": [], "delivery_tag": "d"}


def test_an_exhausted_limit_raises_a_retryable_error_and_sends_nothing(
    sent: list[tuple[str, dict[str, Any]]], settings: Any
) -> None:
    # given a limit of 10 a second (a burst of one token) and that token spent
    settings.REDIS_URL = ""
    settings.LINE_RATE_LIMIT_PER_SECOND = 10
    channel = "c-exhausted"
    line_send_limited(sending.PUSH, channel_id=channel, access_token="t", to="U1", messages=[], retry_key="k")
    # when the next request may not wait for the next token
    with pytest.raises(line.LineRetryableError) as raised:
        line_send_limited(
            sending.PUSH, channel_id=channel, max_wait=0.0, access_token="t", to="U1", messages=[], retry_key="k2"
        )
    # then
    assert raised.value.retry_after == 1.0
    assert len(sent) == 1


def test_an_unknown_endpoint_is_refused_before_any_token_is_taken(sent: list[tuple[str, dict[str, Any]]]) -> None:
    with pytest.raises(ValueError, match="unknown LINE endpoint 'multicast'"):
        line_send_limited("multicast", channel_id="c-1", access_token="t")
    assert sent == []


@pytest.mark.parametrize(
    ("error", "retry_key", "safe"),
    [
        (line.LineRetryableError("429"), False, True),
        (line.LineRetryableError("429"), True, True),
        (line.LineAmbiguousError("read timeout"), True, True),  # a push: LINE answers a repeat 409
        (line.LineAmbiguousError("read timeout"), False, False),  # a PNP or reply: may notify twice
        (line.LineRefusedError("422"), False, False),
        (line.LineRequestError("400"), True, False),
    ],
)
def test_a_retry_is_safe_only_when_nothing_was_accepted_or_a_retry_key_dedupes_it(
    error: line.LineError, retry_key: bool, safe: bool
) -> None:
    assert retry_is_safe(error, retry_key=retry_key) is safe


def test_an_unreachable_shared_bucket_is_a_retryable_error_and_nothing_is_sent(
    sent: list[tuple[str, dict[str, Any]]], settings: Any
) -> None:
    from integrations import ratelimit

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    ratelimit._redis_script.cache_clear()
    try:
        with pytest.raises(line.LineRetryableError, match="rate limit is unreachable") as raised:
            line_send_limited(sending.PUSH, channel_id="c-1", access_token="t", to="U1", messages=[], retry_key="k")
    finally:
        ratelimit._redis_script.cache_clear()
    assert raised.value.retry_after == 5.0
    assert sent == []
