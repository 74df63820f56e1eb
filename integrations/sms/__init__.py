"""SMS vendors, one module each, behind one small interface (:mod:`.base`)."""

from __future__ import annotations

from integrations.sms.base import (
    SmsAmbiguousError,
    SmsBackend,
    SmsDeliveryReport,
    SmsError,
    SmsRejectedError,
    SmsRetryableError,
    SmsSendResult,
    sms_segments,
)


def backend_for(vendor: str) -> SmsBackend:
    """Return the backend module for a vendor code (``SmsAccount.vendor``)."""
    from integrations.sms import mitake, sandbox

    backends: dict[str, SmsBackend] = {"mitake": mitake.BACKEND, "sandbox": sandbox.BACKEND}
    return backends[vendor]


__all__ = [
    "SmsAmbiguousError",
    "SmsBackend",
    "SmsDeliveryReport",
    "SmsError",
    "SmsRejectedError",
    "SmsRetryableError",
    "SmsSendResult",
    "backend_for",
    "sms_segments",
]
