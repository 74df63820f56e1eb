"""What every SMS vendor module offers, and the errors that say whether a retry is safe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# GSM 03.38 basic set and the extension characters that cost two units.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Return how many SMS parts a text takes: GSM-7 160 (153 per part), else UCS-2 70 (67 per part)."""
    if not text:
        return 0
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = len(text) + sum(1 for c in text if c in _GSM_EXTENDED)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP (emoji) count twice
    return 1 if units <= 70 else -(-units // 67)


@dataclass(frozen=True)
class SmsAccountConfig:
    """The credentials and endpoint of one brand's SMS account, as the client needs them."""

    base_url: str
    username: str
    password: str


@dataclass(frozen=True)
class SmsSendResult:
    """The vendor accepted the message (it is billed from here on)."""

    message_id: str
    segments: int
    duplicate: bool = False


def storable_text(value: str) -> bool:
    """Whether ``value`` can be stored as text by PostgreSQL: no NUL, no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class SmsDeliveryReport:
    """A vendor's word on one message: delivered to the handset, or finally not."""

    message_id: str
    delivered: bool
    final: bool
    status: str


class SmsError(Exception):
    """The SMS was not sent."""


class SmsRetryableError(SmsError):
    """The vendor is busy or unreachable; nothing was sent. Retry later."""


class SmsAmbiguousError(SmsError):
    """No answer after sending; retrying with the same client id is safe where the vendor deduplicates."""


class SmsRejectedError(SmsError):
    """The vendor refused the message (bad number, credentials, balance...). Retrying will not help."""


class SmsBackend(Protocol):
    name: str
    deduplicates: bool

    def send(
        self, *, account: SmsAccountConfig, to_e164: str, text: str, client_id: str, callback_url: str
    ) -> SmsSendResult: ...
