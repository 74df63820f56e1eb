"""The client's follower ids, profile, quota and template PNP: at the client seam, then on the wire to the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from integrations import line as line_client
from tests.sandbox.conftest import (
    FRIEND_UID,
    OK_UID,
    PHONES,
    Receiver,
    SandboxProcess,
    make_world,
    phone_hash,
    wait_until,
)

pytestmark = pytest.mark.timeout(60)

TEMPLATE_BODY = {
    "emphasizedItem": {"itemKey": "date_002_ja", "content": "2024年8月10日(土)"},
    "items": [{"itemKey": "number_001_ja", "content": "1234567"}],
    "buttons": [{"buttonKey": "contact_ja", "url": "https://example.com/ContactUs/"}],
}


def answer(status: int, payload: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({} if payload is None else payload).encode()
    response.headers.update(headers or {})
    return response


class FakeLine:
    """Stands in for ``_request``: answers from a script and records every call."""

    def __init__(self, answers: list[requests.Response]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"method": method, "path": path, **kwargs})
        return self.answers.pop(0)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLine]:
    line = FakeLine([])
    monkeypatch.setattr(line_client, "_request", line)
    yield line


# -- at the client seam ---------------------------------------------------------------------------------


def test_follower_ids_follow_next_until_it_is_absent(fake: FakeLine) -> None:
    fake.answers += [answer(200, {"userIds": ["U1", "U2"], "next": "tok1"}), answer(200, {"userIds": ["U3"]})]
    assert line_client.followers_ids(access_token="t") == ["U1", "U2", "U3"]
    assert [c["params"] for c in fake.calls] == [{"limit": "1000"}, {"limit": "1000", "start": "tok1"}]
    assert {c["path"] for c in fake.calls} == {"/v2/bot/followers/ids"}


def test_follower_ids_on_403_raise_not_available(fake: FakeLine) -> None:
    fake.answers.append(answer(403, {"message": "Access to this API is not available for your account"}))
    with pytest.raises(line_client.LineNotAvailableError) as caught:
        line_client.followers_ids(access_token="t")
    assert caught.value.status == 403
    assert isinstance(caught.value, line_client.LineRequestError)  # never retried


def test_follower_ids_stop_on_a_token_that_does_not_move_on(fake: FakeLine) -> None:
    fake.answers += [answer(200, {"userIds": [], "next": "same"}), answer(200, {"userIds": [], "next": "same"})]
    with pytest.raises(line_client.LineRequestError):
        line_client.followers_ids(access_token="t")


def test_a_follower_page_limit_outside_1_to_1000_is_refused_before_any_call(fake: FakeLine) -> None:
    with pytest.raises(ValueError):
        line_client.followers_ids(access_token="t", limit=1001)
    assert fake.calls == []


def test_a_profile_is_none_on_404_and_parsed_on_200(fake: FakeLine) -> None:
    fake.answers += [answer(404, {"message": "Not found"}), answer(200, {"userId": "Uab", "displayName": "陳"})]
    assert line_client.profile(access_token="t", user_id="U/../x") is None
    assert fake.calls[0]["path"] == "/v2/bot/profile/U%2F..%2Fx"  # a user id cannot leave the profile path
    assert line_client.profile(access_token="t", user_id="Uab") == line_client.LineProfile(
        user_id="Uab", display_name="陳"
    )


def test_the_quota_reads_the_target_and_the_consumption(fake: FakeLine) -> None:
    fake.answers += [answer(200, {"type": "limited", "value": 500}), answer(200, {"totalUsage": 12})]
    assert line_client.message_quota(access_token="t") == line_client.MessageQuota(
        type="limited", limit=500, total_usage=12
    )
    assert [c["path"] for c in fake.calls] == ["/v2/bot/message/quota", "/v2/bot/message/quota/consumption"]


def test_a_template_pnp_returns_the_request_id_on_202_and_sends_the_tag(fake: FakeLine) -> None:
    fake.answers.append(answer(202, {}, {"x-line-request-id": "req-1"}))
    request_id = line_client.pnp_templated_push(
        access_token="t", phone_hash="a" * 64, template_key="k", body=TEMPLATE_BODY, delivery_tag="tag-" * 5
    )
    assert request_id == "req-1"
    (call,) = fake.calls
    assert (call["method"], call["path"]) == ("POST", "/v2/bot/message/pnp/templated/push")
    assert call["headers"] == {"X-Line-Delivery-Tag": "tag-" * 5}
    assert call["body"] == {"to": "a" * 64, "templateKey": "k", "body": TEMPLATE_BODY}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (200, line_client.LineRequestError),  # the template endpoint answers 202, anything else is unexpected
        (400, line_client.LineRequestError),
        (403, line_client.LineNotAvailableError),
        (422, line_client.LineRefusedError),
    ],
)
def test_a_template_pnp_sorts_its_errors(fake: FakeLine, status: int, error: type[Exception]) -> None:
    fake.answers.append(answer(status, {"message": "x"}))
    with pytest.raises(error):
        line_client.pnp_templated_push(
            access_token="t", phone_hash="a" * 64, template_key="k", body=None, delivery_tag="t" * 16
        )


def test_the_template_count_asks_for_the_jst_day(fake: FakeLine) -> None:
    fake.answers.append(answer(200, {"status": "ready", "success": 3}))
    count = line_client.pnp_templated_delivery_count(access_token="t", jst_day=date(2025, 3, 10))
    assert (count.status, count.success) == ("ready", 3)
    assert fake.calls[0]["params"] == {"date": "20250310"}
    assert fake.calls[0]["path"] == "/v2/bot/message/delivery/pnp/templated"


def test_the_template_count_reads_like_the_flexible_one(fake: FakeLine) -> None:
    # the same reader as pnp_delivery_count: a malformed number is kept raw, never read as zero
    fake.answers.append(answer(200, {"status": "ready", "success": "3"}))
    count = line_client.pnp_templated_delivery_count(access_token="t", jst_day=date(2025, 3, 10))
    assert (count.status, count.success) == ("ready", None)
    assert count.raw == '{"status": "ready", "success": "3"}'


# -- on the wire, against the sandbox --------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxProcess, Receiver]]:
    receiver = Receiver()
    process = SandboxProcess(
        ["--portal-url", receiver.url, "--webhook-batch", "1", "--webhook-flush", "0.01"],
        Path(tmp_path_factory.mktemp("sandbox")),
        make_world(receiver.url),
    )
    yield process, receiver
    process.stop()
    receiver.close()


@pytest.fixture
def sandbox(running_sandbox: tuple[SandboxProcess, Receiver], settings: Any) -> SandboxProcess:
    process, receiver = running_sandbox
    process.admin("/sandbox/reset")
    receiver.clear()
    settings.LINE_API_BASE_URL = process.url
    return process


def test_all_follower_pages_are_read_from_the_sandbox(sandbox: SandboxProcess) -> None:
    users = [
        {"phone": f"+88692{i:07d}", "uid": f"U{i:032x}", "channels": {"1000000001": {"friend": True}}}
        for i in range(1, 1501)
    ]
    sandbox.admin("/sandbox/users", {"users": users})
    ids = line_client.followers_ids(access_token="token-acme")
    assert len(ids) == 1501 and len(set(ids)) == 1501
    assert FRIEND_UID in ids
    assert len(line_client.followers_ids(access_token="token-acme", limit=7)) == 1501


def test_an_account_without_the_follower_list_gets_not_available(sandbox: SandboxProcess) -> None:
    with pytest.raises(line_client.LineNotAvailableError):
        line_client.followers_ids(access_token="token-globex")


def test_a_profile_from_the_sandbox(sandbox: SandboxProcess) -> None:
    assert line_client.profile(access_token="token-acme", user_id=FRIEND_UID) == line_client.LineProfile(
        user_id=FRIEND_UID, display_name="陳小明", language="zh-TW"
    )
    assert line_client.profile(access_token="token-acme", user_id=OK_UID) is None


def test_the_quota_from_the_sandbox(sandbox: SandboxProcess) -> None:
    line_client.message_push(
        access_token="token-acme",
        to=FRIEND_UID,
        messages=[{"type": "text", "text": "hi"}],
        retry_key="123e4567-e89b-12d3-a456-426614174000",
    )
    assert line_client.message_quota(access_token="token-acme") == line_client.MessageQuota("none", None, 1)
    assert line_client.message_quota(access_token="token-globex") == line_client.MessageQuota("limited", 500, 0)


def test_a_template_pnp_through_the_sandbox_is_delivered_and_counted(
    sandbox: SandboxProcess, running_sandbox: tuple[SandboxProcess, Receiver]
) -> None:
    receiver = running_sandbox[1]
    sandbox.admin("/sandbox/clock/set", {"now": "2025-03-10T12:00:00+09:00"})
    tag = "client-templated-0001"
    request_id = line_client.pnp_templated_push(
        access_token="token-acme",
        phone_hash=phone_hash(PHONES["ok"]),
        template_key="shipment_completed_ja",
        body=TEMPLATE_BODY,
        delivery_tag=tag,
    )
    assert request_id
    assert wait_until(lambda: receiver.delivery_events(tag))
    with pytest.raises(line_client.LineRefusedError):
        line_client.pnp_templated_push(
            access_token="token-acme",
            phone_hash=phone_hash(PHONES["off"]),
            template_key="k",
            body=None,
            delivery_tag=tag,
        )
    with pytest.raises(line_client.LineRequestError) as caught:
        line_client.pnp_templated_push(
            access_token="token-acme",
            phone_hash=phone_hash(PHONES["ok"]),
            template_key="k",
            body={"emphasizedItem": {"itemKey": "e", "content": "x" * 16}},
            delivery_tag=tag,
        )
    assert caught.value.status == 400
    sandbox.advance(2 * 86400)
    day = date(2025, 3, 10)
    assert line_client.pnp_templated_delivery_count(access_token="token-acme", jst_day=day).success == 1
    assert line_client.pnp_delivery_count(access_token="token-acme", jst_day=day).success == 0


def test_a_pnp_answered_500_after_acceptance_was_delivered_all_the_same(
    sandbox: SandboxProcess, running_sandbox: tuple[SandboxProcess, Receiver]
) -> None:
    # The sandbox's accept_500 fault: what a client must not resend blindly (LINE_PNP_API.md, retry guidance)
    receiver = running_sandbox[1]
    sandbox.admin("/sandbox/faults", {"spec": "pnp:accept_500:next=1"})
    tag = "client-accept500-0001"
    with pytest.raises(line_client.LineAmbiguousError) as caught:  # a 5xx to a send: never resent blindly
        line_client.pnp_push(
            access_token="token-acme",
            phone_hash=phone_hash(PHONES["ok"]),
            messages=[{"type": "text", "text": "hi"}],
            delivery_tag=tag,
        )
    assert caught.value.status == 500
    assert wait_until(lambda: receiver.delivery_events(tag))


def test_a_template_pnp_answered_500_is_ambiguous_and_was_delivered(
    sandbox: SandboxProcess, running_sandbox: tuple[SandboxProcess, Receiver]
) -> None:
    receiver = running_sandbox[1]
    sandbox.admin("/sandbox/faults", {"spec": "templated:accept_500:next=1,templated:500:next=1"})
    accepted, refused = "client-tpl-accept500-01", "client-tpl-plain500-01"
    for tag in (accepted, refused):
        with pytest.raises(line_client.LineAmbiguousError):
            line_client.pnp_templated_push(
                access_token="token-acme",
                phone_hash=phone_hash(PHONES["ok"]),
                template_key="k",
                body=None,
                delivery_tag=tag,
            )
    # the client cannot tell the two apart (LINE's guidance: a 5xx may have been processed); the sandbox can
    assert wait_until(lambda: receiver.delivery_events(accepted))
    assert not receiver.delivery_events(refused)
