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
``batches`` (up to 1,000 of them in a handful of queries), ``idempotency`` (the same key
replays the first answer), ``dispatch`` (claim and send), ``outcomes`` (record an answer,
move to the next channel), ``deliveries`` (LINE's webhook events and SMS reports) and
``timers`` (beat's periodic scans, the idempotency keys' prune among them).

What other modules and apps may call is listed in ``__all__`` below; the steps' helpers
are imported from their own modules, inside this package only.
"""

from notifications.services.accepting import SendRequest, notification_accept
from notifications.services.accounts import sms_account_create_or_update
from notifications.services.alerts import alert_thresholds_set, alerts_evaluate
from notifications.services.batches import BatchItem, notifications_accept_batch
from notifications.services.deliveries import (
    sms_report_apply,
    webhook_drain_claim,
    webhook_drain_release,
    webhook_events_drain,
    webhook_events_drain_and_release,
)
from notifications.services.dispatch import notification_dispatch, notifications_dispatch
from notifications.services.idempotency import fingerprint, idempotency_keys_prune, run_idempotent
from notifications.services.retention import retention_enforce
from notifications.services.timers import deliveries_expire, fallbacks_due, outbox_sweep

__all__ = [
    "BatchItem",
    "SendRequest",
    "alert_thresholds_set",
    "alerts_evaluate",
    "deliveries_expire",
    "fallbacks_due",
    "fingerprint",
    "idempotency_keys_prune",
    "notification_accept",
    "notification_dispatch",
    "notifications_accept_batch",
    "notifications_dispatch",
    "outbox_sweep",
    "retention_enforce",
    "run_idempotent",
    "sms_account_create_or_update",
    "sms_report_apply",
    "webhook_drain_claim",
    "webhook_drain_release",
    "webhook_events_drain",
    "webhook_events_drain_and_release",
]
