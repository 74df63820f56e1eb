"""The send pipeline: accept a brand's request, send on the planned channels, record outcomes.

A notification row is the source of truth (a transactional outbox). Workers move it forward
one step at a time; every step checks the state first, so a task that runs twice, or a
worker that dies mid-step, never sends twice what may not be sent twice:

* A PNP has no retry key. Its attempt is written first, and marked sent (committed) just
  before the request leaves; if no answer comes, the attempt is *ambiguous* and is not blindly retried
  (``PNP_AMBIGUOUS_POLICY``): the delivery webhook, the SMS fallback delay and the 24-hour
  window settle it.
* A LINE push carries ``X-Line-Retry-Key`` and an SMS the vendor's client id, so both are
  retried with the same reference: the other side answers with the first result.

The steps, one module each: ``accepting`` (the API's request to a queued notification),
``dispatch`` (claim and send), ``outcomes`` (record an answer, move to the next channel),
``deliveries`` (LINE's webhook events and SMS reports) and ``timers`` (beat's periodic scans).
"""

from notifications.services.accepting import (
    SendRequest,
    enqueue_dispatch,
    member_for_request,
    notification_accept,
    notification_build,
    phone_e164_for_send,
    prior_sends_count,
    queued_event,
)
from notifications.services.accounts import sms_account_create_or_update
from notifications.services.deliveries import (
    delivery_event_apply,
    follow_event_apply,
    sms_report_apply,
    unfollow_event_apply,
    webhook_events_drain,
)
from notifications.services.dispatch import notification_dispatch, notifications_dispatch, sms_callback_url
from notifications.services.timers import deliveries_expire, fallbacks_due, outbox_sweep

__all__ = [
    "SendRequest",
    "deliveries_expire",
    "delivery_event_apply",
    "enqueue_dispatch",
    "fallbacks_due",
    "follow_event_apply",
    "member_for_request",
    "notification_accept",
    "notification_build",
    "notification_dispatch",
    "notifications_dispatch",
    "outbox_sweep",
    "phone_e164_for_send",
    "prior_sends_count",
    "queued_event",
    "sms_account_create_or_update",
    "sms_callback_url",
    "sms_report_apply",
    "unfollow_event_apply",
    "webhook_events_drain",
]
