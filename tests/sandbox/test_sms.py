"""The SMS gateway: the simple JSON protocol and Mitake's SmSend, with delivery reports and faults."""

import pytest
import requests

from line_sandbox.webhooks import sign

from .conftest import PHONES, wait_until

pytestmark = pytest.mark.timeout(60)

KEY = {"Authorization": "Bearer sandbox-sms-key"}


def send(sandbox, to="+886912345678", text="【品牌】您的包裹已送達", **extra):
    return sandbox.post("/sms/send", json={"to": to, "text": text, **extra}, headers=KEY)


def test_a_sent_sms_gets_an_id_and_a_signed_delivery_report(sandbox, receiver):
    response = send(sandbox, client_ref="order-1")
    assert response.status_code == 200
    message_id = response.json()["message_id"]
    sandbox.advance(2)
    [report] = wait_until(lambda: receiver.paths("/webhooks/sms/sandbox"))
    body = report.json()
    assert body["message_id"] == message_id
    assert body["status"] == "DELIVERED"
    assert body["to"] == "+886912345678"
    assert body["client_ref"] == "order-1"
    assert report.headers["x-sandbox-signature"] == sign("sandbox-sms-key", report.body)
    assert sandbox.get(f"/sms/messages/{message_id}").json()["status"] == "DELIVERED"


def test_the_report_waits_for_the_configured_delay(sandbox, receiver):
    sandbox.admin("/sandbox/config", {"sms_report_delay": 600})
    send(sandbox)
    sandbox.quiet()
    assert receiver.paths("/webhooks/sms/") == []
    sandbox.advance(601)
    assert wait_until(lambda: receiver.paths("/webhooks/sms/sandbox"))


def test_a_number_that_cannot_receive_sms_is_reported_failed(sandbox, receiver):
    send(sandbox, to=PHONES["sms_fails"])
    sandbox.advance(2)
    [report] = wait_until(lambda: receiver.paths("/webhooks/sms/sandbox"))
    assert report.json()["status"] == "FAILED"


def test_sms_needs_the_api_credential(sandbox):
    response = sandbox.post("/sms/send", json={"to": "+886912345678", "text": "x"})
    assert response.status_code == 401


@pytest.mark.parametrize("body", [{"to": "0912345678", "text": "x"}, {"to": "+886912345678", "text": ""}, {}])
def test_sms_validates_number_and_text(sandbox, body):
    assert sandbox.post("/sms/send", json=body, headers=KEY).status_code == 400


def test_a_repeated_client_ref_returns_the_first_message(sandbox):
    first = send(sandbox, client_ref="same")
    second = send(sandbox, client_ref="same")
    assert second.json()["message_id"] == first.json()["message_id"]
    assert second.json()["duplicate"] is True


def test_sms_faults_500_drop_and_undelivered(sandbox, receiver):
    sandbox.admin("/sandbox/faults", {"spec": "sms:500:next=1,sms:drop:next=1,sms:fail:next=1"})
    assert send(sandbox).status_code == 500
    with pytest.raises(requests.ConnectionError):
        send(sandbox)
    assert send(sandbox).status_code == 200
    sandbox.advance(2)
    [report] = wait_until(lambda: receiver.paths("/webhooks/sms/sandbox"))
    assert report.json()["status"] == "FAILED"


def test_sms_429_with_retry_after(sandbox):
    sandbox.admin("/sandbox/faults", {"spec": "sms:429:next=1@5s"})
    response = send(sandbox)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"


def mitake_send(sandbox, receiver, **fields):
    form = {
        "username": "sandbox",
        "password": "sandbox",
        "dstaddr": "0912345678",
        "smbody": "【品牌】您的包裹已送達",
        "clientid": "6f1c2a9e-5d7b-4a41-9b7e-2f0d3c8e1a44",
        "response": f"{receiver.url}/sms/mitake/dlr/token123",
        "smsPointFlag": "1",
        **fields,
    }
    return sandbox.post("/sms/mitake/b2c/mtk/SmSend?CharsetURL=UTF8", data=form)


def parse_mitake(response):
    lines = response.content.decode("big5").split("\r\n")
    return lines[0], dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def test_mitake_smsend_answers_in_big5_and_calls_back_with_statusflag_4(sandbox, receiver):
    response = mitake_send(sandbox, receiver)
    assert response.status_code == 200
    header, fields = parse_mitake(response)
    assert header == "[6f1c2a9e-5d7b-4a41-9b7e-2f0d3c8e1a44]"
    assert fields["statuscode"] == "1"
    assert fields["smsPoint"] == "1"
    assert len(fields["msgid"]) == 10
    sandbox.advance(2)
    [callback] = wait_until(lambda: receiver.paths("/sms/mitake/dlr/token123"))
    assert callback.method == "GET"
    assert callback.query["msgid"] == fields["msgid"]
    assert callback.query["StatusFlag"] == "4"
    assert callback.query["statusstr"] == "DELIVRD"
    assert callback.query["dstaddr"] == "0912345678"
    query = sandbox.post(
        "/sms/mitake/b2c/mtk/SmQuery", data={"username": "sandbox", "password": "sandbox", "msgid": fields["msgid"]}
    )
    assert query.text.split("\t")[1] == "4"


def test_mitake_repeats_the_first_answer_for_a_repeated_clientid(sandbox, receiver):
    _, first = parse_mitake(mitake_send(sandbox, receiver))
    _, second = parse_mitake(mitake_send(sandbox, receiver))
    assert second["msgid"] == first["msgid"]
    assert second["Duplicate"] == "Y"


def test_mitake_refuses_a_wrong_password_with_statuscode_e(sandbox, receiver):
    _, fields = parse_mitake(mitake_send(sandbox, receiver, password="wrong"))
    assert fields["statuscode"] == "e"
    assert "msgid" not in fields


def test_mitake_normalises_e164_numbers_and_refuses_bad_ones(sandbox, receiver):
    _, ok = parse_mitake(mitake_send(sandbox, receiver, dstaddr="+886912345678", clientid="a1"))
    _, bad = parse_mitake(mitake_send(sandbox, receiver, dstaddr="12345", clientid="a2"))
    assert ok["statuscode"] == "1"
    assert bad["statuscode"] == "v"
