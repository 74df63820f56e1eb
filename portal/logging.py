"""Logging filter that masks phone numbers and bearer tokens before any handler sees them."""

from __future__ import annotations

import logging
import re

# Taiwanese and international numbers as they appear in text: +886912345678, 0912-345-678,
# 886 912 345 678. Keep the first four and last three digits, as in the admin lists.
_PHONE = re.compile(r"(?<![\w])(\+?\d[\d\- ]{7,}\d)(?![\w])")
# A date or a time is no phone number: "2026-12-01 21:06" is left as it is.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2})?$")
# A request line's query string: "GET /path?a=1&b=2 HTTP/1.1" → "GET /path?… HTTP/1.1".
_QUERY = re.compile(r'(\s/[^\s?"]*)\?[^\s"]*')
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._\-+/=]+", re.IGNORECASE)


def mask_phone(value: str) -> str:
    """Return a phone number with its middle digits hidden: 0912-***-678."""
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "***"
    if value.strip().startswith("+") or digits.startswith("886"):
        # +886912345678 → +886 9**-***-678 style, kept short and unambiguous
        return f"+{digits[:4]}***{digits[-3:]}"
    return f"{digits[:4]}-***-{digits[-3:]}"


def mask_text(text: str) -> str:
    """Mask every phone number and bearer token in a free text."""
    text = _BEARER.sub(r"\1********", text)
    return _PHONE.sub(lambda m: m.group(1) if _DATE.match(m.group(1)) else mask_phone(m.group(1)), text)


class MaskPersonalDataFilter(logging.Filter):
    """Rewrite each record's message with phone numbers and tokens masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


class DropQueryStringFilter(logging.Filter):
    """Cut the query string out of a request line (runserver's and gunicorn's access logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cut = _QUERY.sub(r"\1?…", message)
        if cut != message:
            record.msg = cut
            record.args = None
        return True
