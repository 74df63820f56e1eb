"""Mitake (三竹資訊) HTTP API: ``SmSend`` and its delivery-report callback.

Implemented from Mitake's published HTTP specification: form-encoded POST with
``CharsetURL=UTF8``; the reply is ``key=value`` lines in Big5 with HTTP 200 even for errors;
``clientid`` makes a repeat send return the first result (``Duplicate=Y``) for 12 hours, so an
unanswered send may be retried with the same id. Status codes 0, 1, 2, 4 mean accepted; only
``StatusFlag=4`` in the callback means the handset received it.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from django.conf import settings

from integrations.http import session
from integrations.sms.base import (
    SmsAccountConfig,
    SmsAmbiguousError,
    SmsDeliveryReport,
    SmsRejectedError,
    SmsRetryableError,
    SmsSendResult,
    sms_segments,
    storable_text,
)

_ACCEPTED = {"0", "1", "2", "4"}
_RETRYABLE = {"a", "b", "l", "r"}  # suspended for now, connection limit, system paused
_FINAL_FLAGS = {"4": True, "5": False, "6": False, "7": False, "8": False, "9": False}
# Mitake's line break inside smbody is ASCII 6.
_LINE_BREAK = "\x06"
# A fallback SMS is about an event that already happened: keep its validity short of the carriers' 24 h.
_VALIDITY_SECONDS = 6 * 3600

CALLBACK_REPLY = "magicid=sms_gateway_rpack\nmsgid={msgid}\n"


def _national(e164: str) -> str:
    return "0" + e164[4:] if e164.startswith("+886") else e164.lstrip("+")


def parse_reply(body: bytes) -> dict[str, str]:
    """Parse Mitake's Big5 ``key=value`` reply into a dict (the ``[clientid]`` header is skipped)."""
    fields: dict[str, str] = {}
    for line in body.decode("big5", errors="replace").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            fields[key] = value
    return fields


class MitakeBackend:
    name = "mitake"
    deduplicates = True

    def send(
        self, *, account: SmsAccountConfig, to_e164: str, text: str, client_id: str, callback_url: str
    ) -> SmsSendResult:
        """Send one SMS; raise an :class:`SmsError` subclass saying whether a retry is safe."""
        form = {
            "username": account.username,
            "password": account.password,
            "dstaddr": _national(to_e164),
            "smbody": text.replace("\r\n", "\n").replace("\n", _LINE_BREAK),
            "clientid": client_id[:36],
            "response": callback_url,
            "vldtime": str(_VALIDITY_SECONDS),
            "smsPointFlag": "1",
        }
        url = account.base_url.rstrip("/") + "/SmSend"
        try:
            response = session().post(url, params={"CharsetURL": "UTF8"}, data=form, timeout=settings.SMS_API_TIMEOUT)
        except requests.ConnectTimeout:
            raise SmsRetryableError("Mitake: connect timeout") from None
        except (requests.ReadTimeout, requests.ConnectionError) as exc:
            # clientid makes a resend return the first result: safe to retry.
            raise SmsAmbiguousError(f"Mitake: no answer ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise SmsRetryableError(f"Mitake answered HTTP {response.status_code}")
        fields = parse_reply(response.content)
        code = fields.get("statuscode", "")
        if code in _ACCEPTED and fields.get("msgid"):
            points = fields.get("smsPoint")
            return SmsSendResult(
                message_id=fields["msgid"],
                segments=int(points) if points and points.isdigit() else sms_segments(text),
                duplicate=fields.get("Duplicate") == "Y",
            )
        message = f"Mitake statuscode={code or '?'} {fields.get('Error', '')}".strip()
        if code in _RETRYABLE:
            raise SmsRetryableError(message)
        raise SmsRejectedError(message)


def parse_delivery_report(query: Mapping[str, str]) -> SmsDeliveryReport | None:
    """Read Mitake's callback query; key on ``StatusFlag`` (``statuscode`` only echoes the submission)."""
    message_id = query.get("msgid", "")
    flag = query.get("StatusFlag", "")
    if (
        not message_id
        or not flag
        or not all(storable_text(query.get(k, "")) for k in ("msgid", "StatusFlag", "statusstr"))
    ):
        return None
    return SmsDeliveryReport(
        message_id=message_id,
        delivered=flag == "4",
        final=flag in _FINAL_FLAGS,
        status=query.get("statusstr", "") or flag,
    )


BACKEND = MitakeBackend()
