"""LINE's webhook signature: base64(HMAC-SHA256(channel secret, raw body))."""

from __future__ import annotations

import base64
import hashlib
import hmac


def line_signature(*, channel_secret: str, body: bytes) -> str:
    """Return the ``x-line-signature`` LINE computes for this body."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def line_signature_valid(*, channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Check a signature in constant time; a missing secret or signature never validates."""
    if not channel_secret or not signature:
        return False
    candidate = signature.strip()
    # A header holding other bytes than base64's is no signature (and compare_digest takes only ASCII text).
    if not candidate.isascii():
        return False
    return hmac.compare_digest(line_signature(channel_secret=channel_secret, body=body), candidate)
