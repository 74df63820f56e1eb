"""Named choices of the notifications app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventResult(models.TextChoices):
    PENDING = "", _("not processed yet")
    APPLIED = "applied", _("applied")
    DUPLICATE = "duplicate", _("already applied (duplicate delivery)")
    UNMATCHED = "unmatched", _("no matching notification")
    IGNORED = "ignored", _("ignored (event type not used)")
    FAILED = "failed", _("failed (will be retried)")
    REJECTED = "rejected", _("rejected (malformed, kept as evidence)")


class Channel(models.TextChoices):
    LINE_PUSH = "line_push", _("LINE push (friend)")
    PNP = "pnp", _("LINE notification message (PNP)")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    """Where a notification stands; the last three are final."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("being sent")
    AWAITING_DELIVERY = "awaiting", _("sent, awaiting delivery")
    DELIVERED = "delivered", _("delivered")
    NOT_DELIVERED = "not_delivered", _("not delivered")
    FAILED = "failed", _("failed")


FINAL_STATUSES = (NotificationStatus.DELIVERED, NotificationStatus.NOT_DELIVERED, NotificationStatus.FAILED)


class AttemptStatus(models.TextChoices):
    PENDING = "pending", _("about to be sent")
    ACCEPTED = "accepted", _("accepted, awaiting delivery")
    AMBIGUOUS = "ambiguous", _("no answer: may have been sent")
    DELIVERED = "delivered", _("delivered")
    REFUSED = "refused", _("refused (number not on LINE or consent off)")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("not delivered (no delivery event in 24 h, inferred)")


class EventKind(models.TextChoices):
    """The timeline of one notification, as the brand sees it in the API."""

    QUEUED = "queued", _("queued")
    SENT_TO_LINE = "sent_to_line", _("sent to LINE")
    LINE_REFUSED = "line_refused", _("LINE refused (422): not on LINE, or PNP turned off by the user")
    LINE_RETRY = "line_retry", _("LINE busy or unreachable: will retry")
    LINE_ERROR = "line_error", _("LINE rejected the request")
    AMBIGUOUS = "ambiguous", _("no answer from LINE: may have been sent, not retried")
    DELIVERED = "delivered", _("delivered")
    DELIVERED_TWICE = "delivered_twice", _("delivered again after another channel (delivered twice)")
    FALLBACK_DUE = "fallback_due", _("no delivery event within the fallback delay")
    EXPIRED = "expired", _("not delivered: no delivery event in 24 h (inferred)")
    SMS_SENT = "sms_sent", _("SMS sent")
    SMS_DELIVERED = "sms_delivered", _("SMS delivered")
    SMS_FAILED = "sms_failed", _("SMS failed")
    FAILED = "failed", _("failed")


class Metric(models.TextChoices):
    """What the hourly rollups count; each is added in the transaction of the change it counts."""

    ACCEPTED = "accepted", _("accepted by the API")
    SENT = "sent", _("sent (accepted by LINE or the SMS vendor)")
    DELIVERED = "delivered", _("delivered")
    # A delivered PNP counted in the hour it was sent: LINE's daily count is by the JST day a PNP
    # was sent (docs/billing.md), so this is the portal's side of the reconciliation.
    DELIVERED_BY_SEND = "delivered_by_send", _("delivered, counted when sent")
    # The same for a LINE template's PNP: LINE counts template PNP apart (its own daily count),
    # so the portal's side is apart too, and DELIVERED_BY_SEND holds flexible PNP only.
    TEMPLATED_DELIVERED_BY_SEND = "templated_by_send", _("template PNP delivered, counted when sent")
    DELIVERED_TWICE = "delivered_twice", _("delivered twice")
    REFUSED_422 = "refused_422", _("refused (422): not on LINE, or PNP turned off by the user")
    EXPIRED = "expired", _("no delivery event in 24 h")
    FAILED = "failed", _("failed")
    SMS_FALLBACK = "sms_fallback", _("fell back to SMS")
    SMS_SEGMENTS = "sms_segments", _("SMS segments billed")
    LATENCY_SECONDS = "latency_s", _("seconds from send to delivery (sum)")
    # Follow/unfollow webhook events (channel ``line_push``): the OA's block rate on the dashboard.
    FOLLOW = "follow", _("LINE users who added or unblocked the OA")
    UNFOLLOW = "unfollow", _("LINE users who blocked the OA")


class AlertKind(models.TextChoices):
    """A brand's delivery figure that is watched; each has a threshold (settings, or the brand's own)."""

    DELIVERY_RATE = "delivery_rate", _("delivery rate")
    REFUSED_422_SHARE = "refused_422_share", _("share of PNP refused (422)")
    BLOCK_RATE = "block_rate", _("block rate")
    SMS_FAILURE_RATE = "sms_failure_rate", _("SMS failure rate")


# A delivery rate alerts when it falls below its threshold; the others when they rise above it.
ALERT_LOW_IS_BAD = frozenset({AlertKind.DELIVERY_RATE})


class AlertWindow(models.TextChoices):
    HOUR = "hour", _("last hour")
    DAY = "day", _("last 24 hours")
