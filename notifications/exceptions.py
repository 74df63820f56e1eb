"""Domain errors of the send pipeline."""

from __future__ import annotations

from portal.exceptions import PortalError


class NotificationRefused(PortalError):
    """A send request the portal will not queue; ``field`` names what to fix."""

    status_code = 422
    code = "notification_refused"

    def __init__(self, message: str, *, code: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class IdempotencyConflict(PortalError):
    """The same Idempotency-Key came with a different body."""

    status_code = 409
    code = "idempotency_key_reused"
    field = "Idempotency-Key"


class RetryLater(Exception):
    """Nothing was sent; dispatch this notification again after a backoff."""

    def __init__(self, *, notification_id: int, retries: int, retry_after: float | None) -> None:
        super().__init__(f"notification {notification_id}: retry {retries}")
        self.notification_id = notification_id
        self.retries = retries
        self.retry_after = retry_after


class StatusMoveError(PortalError):
    """A notification may not make this status move (``notifications.services.states.ALLOWED_MOVES``)."""

    status_code = 409
    code = "status_move_not_allowed"
    field = "status"

    def __init__(self, message: str, *, old: str, new: str) -> None:
        super().__init__(message)
        self.old = old
        self.new = new


class NotificationSearchError(PortalError):
    """A search term that cannot be searched as written (a malformed phone number, a bad date)."""

    status_code = 400
    code = "search_invalid"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
