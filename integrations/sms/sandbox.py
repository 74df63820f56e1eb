"""The LINE sandbox's own SMS gateway: a small JSON protocol for development and tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
    storable_text,
)


class SandboxBackend:
    name = "sandbox"
    deduplicates = True  # client_ref is remembered for 24 h

    def send(
        self, *, account: SmsAccountConfig, to_e164: str, text: str, client_id: str, callback_url: str
    ) -> SmsSendResult:
        url = account.base_url.rstrip("/") + "/send"
        body = {"to": to_e164, "text": text, "client_ref": client_id[:64], "callback_url": callback_url}
        try:
            response = session().post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {account.password}"},
                timeout=settings.SMS_API_TIMEOUT,
            )
        except requests.ConnectTimeout:
            raise SmsRetryableError("sandbox SMS: connect timeout") from None
        except (requests.ReadTimeout, requests.ConnectionError) as exc:
            raise SmsAmbiguousError(f"sandbox SMS: no answer ({type(exc).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsRetryableError(f"sandbox SMS answered {response.status_code}")
        if response.status_code != 200:
            raise SmsRejectedError(f"sandbox SMS answered {response.status_code}: {response.text[:200]}")
        payload: dict[str, Any] = response.json()
        return SmsSendResult(
            message_id=str(payload["message_id"]),
            segments=int(payload.get("segments") or 1),
            duplicate=bool(payload.get("duplicate")),
        )


def parse_delivery_report(body: bytes) -> SmsDeliveryReport | None:
    """Read the sandbox's JSON delivery report."""
    try:
        payload: Mapping[str, Any] = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    message_id, status = payload.get("message_id", ""), payload.get("status", "")
    if not isinstance(message_id, str) or not isinstance(status, str) or not message_id or not status:
        return None
    if not storable_text(message_id) or not storable_text(status):
        return None
    return SmsDeliveryReport(
        message_id=message_id,
        delivered=status == "DELIVERED",
        final=status in {"DELIVERED", "FAILED", "EXPIRED", "REJECTED"},
        status=status,
    )


BACKEND = SandboxBackend()
