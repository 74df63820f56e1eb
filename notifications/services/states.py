"""A notification's status and timeline: the table of allowed moves and the only code that writes them.

Every status change is checked against ``ALLOWED_MOVES`` before anything is written; a move
the table does not allow raises :class:`~notifications.exceptions.StatusMoveError`. Each
outcome has one function giving the fields it sets (``*_fields``), and its timeline line and
counts where it has them. The single form (:func:`notification_write`, one row saved) and the
bulk forms (:func:`notifications_write`, :func:`notifications_write_rows`, one statement for
a batch) write exactly what that function gives, so the two cannot drift apart. A bulk form
checks the move in Python over rows already read, or names the allowed source in the
UPDATE's WHERE clause: never a query more per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from notifications.choices import Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import StatusMoveError
from notifications.models import Attempt, Notification, NotificationEvent
from notifications.services.common import DELIVERY_WINDOW_SECONDS, line_time
from notifications.stats import latency_bucket, stats_add
from notifications.texts import Text, text
from portal.db import bulk_insert, bulk_set_rows

S = NotificationStatus
Fields = dict[str, Any]
Counts = Counter[tuple[int, datetime, str, str]]

# A notification is written queued; every later status is reached by one of these moves.
INITIAL_STATUS = S.QUEUED
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    # Claimed by a worker, or failed before any request left (template withdrawn, every channel
    # tried). An SMS acceptance or a delivery lands here too when the sweeper or the fallback
    # delay put the notification back in the queue while the answer was on its way.
    S.QUEUED: frozenset({S.SENDING, S.AWAITING_DELIVERY, S.DELIVERED, S.FAILED}),
    # The answer: retry or next channel, wait for the delivery event, delivered (a push), failed.
    S.SENDING: frozenset({S.QUEUED, S.AWAITING_DELIVERY, S.DELIVERED, S.FAILED}),
    # Fallback delay over (next channel), delivered, no delivery in 24 h, the SMS report failed.
    S.AWAITING_DELIVERY: frozenset({S.QUEUED, S.DELIVERED, S.NOT_DELIVERED, S.FAILED}),
    S.DELIVERED: frozenset(),
    # A delivery event is evidence: it overrules the 24-hour inference and a give-up. The SMS
    # sent after a PNP may still report its failure after the window closed.
    S.NOT_DELIVERED: frozenset({S.DELIVERED, S.FAILED}),
    S.FAILED: frozenset({S.DELIVERED}),
}


def move_allowed(old: str, new: str) -> bool:
    """Return whether the table lets a notification go from ``old`` to ``new``; staying put is no move."""
    return old == new or new in ALLOWED_MOVES.get(old, frozenset())


def move_check(old: str, new: str) -> None:
    """Refuse a status move the table does not allow."""
    if not move_allowed(old, new):
        raise StatusMoveError(
            _("A notification that is %(old)s cannot become %(new)s.") % {"old": S(old).label, "new": S(new).label},
            old=old,
            new=new,
        )


# --- One function per outcome: the fields it sets --------------------------------------------------------


def sending_fields(*, channel: str) -> Fields:
    """Claimed by a worker, to be sent on ``channel``."""
    return {"status": S.SENDING, "channel": channel}


def queued_fields() -> Fields:
    """Back in the queue: a retry, the next planned channel, or a send a stopped worker left behind."""
    return {"status": S.QUEUED, "fallback_due_at": None}


def awaiting_fields(notification: Notification, *, channel: str, at: datetime) -> Fields:
    """Sent on ``channel`` at ``at``: wait 24 hours for its delivery, and the fallback delay if an SMS is next."""
    delay = notification.template_version.sms_fallback_delay_minutes
    plan = notification.channel_plan
    sms_next = Channel.SMS in plan[plan.index(channel) + 1 :]
    return {
        "status": S.AWAITING_DELIVERY,
        "expires_at": at + line_time(DELIVERY_WINDOW_SECONDS),
        "fallback_due_at": at + line_time(delay * 60) if delay and sms_next else None,
    }


def delivered_fields(*, channel: str, at: datetime) -> Fields:
    """Delivered on ``channel`` at ``at``: nothing left to wait for."""
    return {
        "status": S.DELIVERED,
        "delivered_at": at,
        "delivered_channel": channel,
        "final_reason": "",
        "final_reason_code": "",
        "final_reason_params": {},
        "fallback_due_at": None,
        "expires_at": None,
    }


def final_fields(*, status: str, reason: Text) -> Fields:
    """Ended without a delivery (failed, or not delivered within the window), for ``reason``.

    The reason is stored as its code and parameters, with its English wording beside them.
    """
    if status not in (S.FAILED, S.NOT_DELIVERED):
        raise ValueError(f"{status} is not an end without a delivery")
    return {
        "status": status,
        "final_reason": reason.english(200),
        "final_reason_code": reason.code,
        "final_reason_params": reason.params,
        "fallback_due_at": None,
        "expires_at": None,
    }


def delivered_event(*, notification_id: int, attempt_id: int, channel: str) -> NotificationEvent:
    """The timeline line of a delivery on ``channel``."""
    return timeline_event(
        notification_id=notification_id,
        kind=EventKind.DELIVERED,
        detail=text("delivered.channel", channel=str(channel)),
        attempt_id=attempt_id,
    )


def delivered_counts(
    *, brand_id: int, channel: str, at: datetime, sent_at: datetime | None, templated: bool = False
) -> Counts:
    """What one delivery adds to the hourly counts: the delivery, its latency and its histogram bucket.

    ``templated``: the PNP was a LINE template's, which LINE counts apart from flexible PNP.
    """
    latency = max(0, int((at - sent_at).total_seconds())) if sent_at else 0
    counts = Counter(
        {
            (brand_id, at, channel, Metric.DELIVERED): 1,
            (brand_id, at, channel, Metric.LATENCY_SECONDS): latency,
            (brand_id, at, channel, latency_bucket(latency)): 1,  # billing: the median
        }
    )
    if channel == Channel.PNP:
        by_send = Metric.TEMPLATED_DELIVERED_BY_SEND if templated else Metric.DELIVERED_BY_SEND
        counts[(brand_id, sent_at or at, channel, by_send)] += 1  # LINE's count day
    return counts


def queued_event(notification: Notification) -> NotificationEvent:
    """The first line of a notification's timeline: accepted, with its channel plan."""
    detail = text("queued.plan", plan=" → ".join(notification.channel_plan))
    return NotificationEvent(notification=notification, kind=EventKind.QUEUED, **detail_fields(detail))


# --- The writers ------------------------------------------------------------------------------------------


def notifications_create(notifications: Sequence[Notification]) -> None:
    """Write accepted notifications, queued, with the first line of each timeline and the accepted counts."""
    for notification in notifications:
        if notification.status != INITIAL_STATUS:
            raise StatusMoveError(
                _("A notification is accepted queued, not %(new)s.") % {"new": S(notification.status).label},
                old="",
                new=notification.status,
            )
    bulk_insert(notifications)
    bulk_insert([queued_event(notification) for notification in notifications])
    stats_add(Counter((n.brand_id, n.created_at, n.channel, Metric.ACCEPTED) for n in notifications))


def notification_apply(notification: Notification, fields: Fields) -> None:
    """Set one outcome's fields on the instance, not saved; refuse a status move the table does not allow."""
    if "status" in fields:
        move_check(notification.status, fields["status"])
    for name, value in fields.items():
        setattr(notification, name, value)


def notification_write(notification: Notification, fields: Fields) -> None:
    """Set one outcome's fields on the notification and save them (the single form)."""
    notification_apply(notification, fields)
    notification.save(update_fields=[*fields, "updated_at"])


def notifications_write(ids: Sequence[int], *, source: str, fields: Fields, at: datetime) -> int:
    """The bulk form for rows sharing one outcome's fields: one UPDATE of those still ``source``; return how many."""
    move_check(source, fields["status"])
    return Notification.objects.filter(pk__any_of=ids, status=source).update(**fields, updated_at=at)


def notifications_write_rows(rows: Sequence[tuple[int, str, Fields]], *, at: datetime) -> None:
    """The bulk form for rows read (and locked) beforehand: (id, its status as read, the outcome's fields).

    Every row's move is checked before the one statement that writes them all.
    """
    if not rows:
        return
    names = list(rows[0][2])
    values = []
    for pk, status, fields in rows:
        move_check(status, fields["status"])
        if list(fields) != names:
            raise ValueError(f"notification {pk}: fields {list(fields)} are not {names}")
        values.append((pk, *fields.values(), at))
    bulk_set_rows(Notification, [*names, "updated_at"], values)


def detail_fields(detail: Text | None) -> Fields:
    """A timeline line's detail as stored: its code and parameters, and its English wording."""
    detail = detail or Text()
    return {"detail": detail.english(300), "detail_code": detail.code, "detail_params": detail.params}


def timeline_event(
    *, notification_id: int, kind: str, detail: Text | None = None, attempt_id: int | None = None
) -> NotificationEvent:
    """One line of a notification's timeline, not saved (see ``EventKind``)."""
    return NotificationEvent(notification_id=notification_id, kind=kind, attempt_id=attempt_id, **detail_fields(detail))


def timeline_add(
    notification: Notification, kind: str, detail: Text | None = None, attempt: Attempt | None = None
) -> None:
    """Add one line to the notification's timeline (see ``EventKind``)."""
    NotificationEvent.objects.create(notification=notification, kind=kind, attempt=attempt, **detail_fields(detail))


def timeline_add_many(events: Sequence[NotificationEvent]) -> None:
    """Add the lines of a batch's timelines in one statement."""
    bulk_insert(events)
