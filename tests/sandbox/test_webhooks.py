"""Webhook signing, redelivery, duplicates, reordering and batching."""

import base64
import hashlib
import hmac

import pytest

from line_sandbox.webhooks import sign

from .conftest import ACME_SECRET, PHONES, line_signature, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])


def test_the_signature_matches_lines_published_check_vector():
    body = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
    assert sign("8c570fa6dd201bb328f1c1eac23a96d8", body) == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    expected = base64.b64encode(hmac.new(b"8c570fa6dd201bb328f1c1eac23a96d8", body, hashlib.sha256).digest())
    assert expected.decode() == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="


def test_a_receiver_error_is_redelivered_with_the_same_event_id_and_is_redelivery_true(sandbox, receiver):
    receiver.plan[:] = [500, 503]
    tag = new_tag()
    assert sandbox.pnp(OK, tag=tag).status_code == 200
    events = wait_until(lambda: len(receiver.delivery_events(tag)) >= 3 and receiver.delivery_events(tag))
    assert len(events) == 3
    assert len({e["webhookEventId"] for e in events}) == 1
    assert [e["deliveryContext"]["isRedelivery"] for e in events] == [False, True, True]
    assert len({e["timestamp"] for e in events}) == 1
    for post in receiver.line_posts("acme"):
        assert post.headers["x-line-signature"] == line_signature(ACME_SECRET, post.body)
    attempts = wait_until(
        lambda: len(sandbox.inspect()["webhook_attempts"]) >= 3 and sandbox.inspect()["webhook_attempts"]
    )
    assert [a["status"] for a in attempts] == [500, 503, 200]
    sandbox.quiet()
    assert len(receiver.delivery_events(tag)) == 3  # a 2xx ends the redelivery


def test_redelivery_stops_after_the_configured_retries(sandbox, receiver):
    sandbox.admin("/sandbox/config", {"webhooks": {"retries": 1, "retry_interval": 0.05}})
    receiver.plan[:] = [500, 500, 500, 500]
    tag = new_tag()
    sandbox.pnp(OK, tag=tag)
    wait_until(lambda: len(receiver.delivery_events(tag)) >= 2)
    sandbox.quiet()
    assert len(receiver.delivery_events(tag)) == 2


def test_duplicates_repeat_the_same_event_id_when_configured(sandbox, receiver):
    sandbox.admin("/sandbox/config", {"webhooks": {"duplicate_share": 1.0}})
    tags = [new_tag() for _ in range(3)]
    for tag in tags:
        sandbox.pnp(OK, tag=tag)
    for tag in tags:
        events = wait_until(lambda t=tag: len(receiver.delivery_events(t)) >= 2 and receiver.delivery_events(t))
        assert len(events) == 2
        assert events[0]["webhookEventId"] == events[1]["webhookEventId"]
        assert not events[1]["deliveryContext"]["isRedelivery"]
    assert sandbox.inspect()["deliveries"][0]["count"] == 1  # delivered once, reported twice


def test_events_are_reordered_when_configured(sandbox, receiver):
    sandbox.admin("/sandbox/config", {"webhooks": {"reorder_share": 0.5, "reorder_delay": 0.4}})
    tags = [f"order_{i:02d}_" + new_tag() for i in range(20)]
    for tag in tags:
        sandbox.pnp(OK, tag=tag)
    wait_until(lambda: len(receiver.events("acme")) >= 20)
    received = [e["delivery"]["data"] for e, _ in receiver.events("acme")]
    assert sorted(received) == sorted(tags)
    assert received != tags


def test_events_are_batched_up_to_the_configured_size(sandbox, receiver):
    sandbox.admin("/sandbox/config", {"webhooks": {"batch_size": 5, "flush_interval": 0.5}})
    tags = [new_tag() for _ in range(10)]
    for tag in tags:
        sandbox.pnp(OK, tag=tag)
    wait_until(lambda: len(receiver.events("acme")) >= 10)
    posts = receiver.line_posts("acme")
    assert sum(len(p.json()["events"]) for p in posts) == 10
    assert max(len(p.json()["events"]) for p in posts) <= 5
    assert len(posts) < 10
    for post in posts:
        assert post.headers["x-line-signature"] == line_signature(ACME_SECRET, post.body)


def test_webhook_attempts_are_listed_in_inspection(sandbox, receiver):
    tag = new_tag()
    sandbox.pnp(OK, tag=tag)
    attempts = wait_until(lambda: sandbox.inspect()["webhook_attempts"])
    assert attempts[0]["status"] == 200
    assert attempts[0]["channel_id"] == "1000000001"
    assert attempts[0]["redelivery"] is False
