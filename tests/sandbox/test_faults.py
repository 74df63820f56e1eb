"""Faults on demand: 429 with and without Retry-After, 500, slow, dropped connections, accept-then-timeout."""

import time

import pytest
import requests

from .conftest import PHONES, new_tag, phone_hash, wait_until

pytestmark = pytest.mark.timeout(60)

OK = phone_hash(PHONES["ok"])


def faults(sandbox, spec):
    return sandbox.admin("/sandbox/faults", {"spec": spec})


def test_429_without_retry_after(sandbox):
    faults(sandbox, "pnp:429:next=1")
    first = sandbox.pnp(OK, tag=new_tag())
    assert first.status_code == 429
    assert "Retry-After" not in first.headers
    assert sandbox.pnp(OK, tag=new_tag()).status_code == 200


def test_429_with_retry_after(sandbox):
    faults(sandbox, "pnp:429:next=1@3s")
    response = sandbox.pnp(OK, tag=new_tag())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_500_for_the_next_n_requests_then_normal(sandbox):
    faults(sandbox, "pnp:500:next=2")
    assert [sandbox.pnp(OK, tag=new_tag()).status_code for _ in range(3)] == [500, 500, 200]
    assert sandbox.inspect(summary=1)["summary"]["outcomes"]["pnp"] == {"fault": 2, "delivered": 1}


def test_a_share_of_requests_fails_with_seeded_randomness(sandbox):
    sandbox.admin("/sandbox/faults", {"rules": [{"endpoint": "pnp", "kind": "500", "share": 0.5}], "seed": 9})
    codes = [sandbox.pnp(OK, tag=new_tag()).status_code for _ in range(40)]
    sandbox.admin("/sandbox/faults", {"rules": [{"endpoint": "pnp", "kind": "500", "share": 0.5}], "seed": 9})
    again = [sandbox.pnp(OK, tag=new_tag()).status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35
    assert set(codes) == {200, 500}
    assert codes == again


def test_faults_only_hit_their_endpoint(sandbox):
    faults(sandbox, "sms:500=1")
    assert sandbox.pnp(OK, tag=new_tag()).status_code == 200


def test_a_slow_response_past_the_client_timeout_is_abandoned_and_not_sent(sandbox, receiver):
    faults(sandbox, "pnp:slow:next=1@1.5s")
    tag = new_tag()
    with pytest.raises(requests.ReadTimeout):
        sandbox.pnp(OK, tag=tag, timeout=0.4)
    record = wait_until(lambda: [r for r in sandbox.records(kind="pnp") if r["outcome"] == "abandoned"], 4)
    assert record
    assert receiver.delivery_events(tag) == []
    assert sandbox.inspect(tag=tag)["deliveries"] == []


def test_a_slow_response_within_the_client_timeout_is_processed(sandbox, receiver):
    faults(sandbox, "pnp:slow:next=1@0.6s")
    tag = new_tag()
    started = time.monotonic()
    assert sandbox.pnp(OK, tag=tag, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.6
    assert wait_until(lambda: receiver.delivery_events(tag))


def test_a_dropped_connection_gives_no_http_answer(sandbox):
    faults(sandbox, "pnp:drop:next=1")
    with pytest.raises(requests.ConnectionError):
        sandbox.pnp(OK, tag=new_tag())
    assert sandbox.pnp(OK, tag=new_tag()).status_code == 200
    assert sandbox.inspect(summary=1)["summary"]["outcomes"]["pnp"]["connection_dropped"] == 1


def test_accept_then_timeout_delivers_although_the_client_timed_out(sandbox, receiver):
    faults(sandbox, "pnp:accept_timeout:next=1@2s")
    tag = new_tag()
    with pytest.raises(requests.ReadTimeout):
        sandbox.pnp(OK, tag=tag, timeout=0.5)
    assert wait_until(lambda: receiver.delivery_events(tag))
    [record] = sandbox.records(tag=tag)
    assert record["outcome"] == "delivered"
    # the client's natural retry makes the duplicate the portal has to guard against
    assert sandbox.pnp(OK, tag=tag).status_code == 200
    assert sandbox.inspect(tag=tag)["deliveries"][0]["count"] == 2


def test_faults_from_the_command_line_apply_from_the_start(start_sandbox):
    from .conftest import make_world

    box = start_sandbox(["--faults", "pnp:500:next=2,pnp:429:next=1@7s"], make_world("http://127.0.0.1:9"))
    assert [box.pnp(OK, tag=new_tag()).status_code for _ in range(4)] == [500, 500, 429, 200]
    assert box.get("/sandbox/faults").json()["rules"][0]["fired"] == 2


def test_a_bad_fault_spec_is_refused(sandbox):
    response = sandbox.post("/sandbox/faults", json={"spec": "pnp:teapot=0.1"})
    assert response.status_code == 400
    assert "teapot" in response.json()["error"]


def test_a_bad_fault_spec_on_the_command_line_stops_the_server(tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "line_sandbox", "--port", "1", "--faults", "pnp:429=2"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "share must be between 0 and 1" in result.stderr


def test_the_rate_limit_answers_429_and_inspection_keeps_the_per_second_maximum(sandbox):
    sandbox.admin("/sandbox/config", {"rate_limit": 5})
    codes = [sandbox.pnp(OK, tag=new_tag()).status_code for _ in range(20)]
    assert codes.count(429) >= 10
    rates = sandbox.inspect(summary=1)["summary"]["rates"]
    assert rates["limit"] == 5
    pnp = rates["channels"]["1000000001"]["pnp"]
    assert pnp["max_accepted_rps"] == 5
    assert pnp["max_rps"] > 5
