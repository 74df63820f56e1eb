"""What each LINE event type does to the portal's records.

A handler returns ``(result, detail)``; it runs inside the transaction that marks the event
processed, so an event is applied exactly once. Unknown types are ignored, never an error.
"""

from __future__ import annotations

from collections.abc import Callable

from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent

Handler = Callable[[WebhookEvent], tuple[str, str]]

HANDLERS: dict[str, Handler] = {}


def handles(event_type: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[event_type] = handler
        return handler

    return register


def apply_event(event: WebhookEvent) -> tuple[str, str]:
    """Apply one stored event with the handler for its type."""
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        return WebhookEventResult.IGNORED, f"type {event.event_type!r} is not used"
    return handler(event)
