"""Constants and small helpers every step of the send pipeline shares."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from notifications.models import Attempt, Notification, NotificationEvent

MAX_RETRIES = 6
DELIVERY_WINDOW_SECONDS = 24 * 3600


def line_time(seconds: float) -> timedelta:
    """A span of LINE time in wall time (``LINE_TIME_FACTOR`` > 1 only in tests and demos)."""
    return timedelta(seconds=seconds / settings.LINE_TIME_FACTOR)


def timeline_add(notification: Notification, kind: str, detail: str = "", attempt: Attempt | None = None) -> None:
    """Add one line to the notification's timeline (see ``EventKind``)."""
    NotificationEvent.objects.create(notification=notification, kind=kind, detail=detail[:300], attempt=attempt)
