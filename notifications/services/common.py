"""Constants and small helpers every step of the send pipeline shares."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

MAX_RETRIES = 6
DELIVERY_WINDOW_SECONDS = 24 * 3600


def line_time(seconds: float) -> timedelta:
    """A span of LINE time in wall time (``LINE_TIME_FACTOR`` > 1 only in tests and demos)."""
    return timedelta(seconds=seconds / settings.LINE_TIME_FACTOR)
