"""Named choices of LINE binding: how a binding was proven, what a welcome message did."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenKind(models.TextChoices):
    """Whom a bind link identifies: a member (sent by PNP or SMS) or a LINE user (in a welcome)."""

    MEMBER = "member", _("Member (PNP or SMS link)")
    FOLLOWER = "follower", _("LINE follower (welcome message link)")


class BindMethod(models.TextChoices):
    TOKEN = "token", _("Bind link")
    OTP = "otp", _("One-time password")


class WelcomeStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("not sent (no approved template)")


class BindingMetric(models.TextChoices):
    """What the daily binding rollups count; each is added in the transaction of the change."""

    FOLLOWS = "follows", _("follows (friend added or unblocked)")
    WELCOMES = "welcomes", _("welcome messages sent")
    BOUND = "bound", _("members bound")
    UNBOUND = "unbound", _("bindings removed")
    OTP_SENT = "otp_sent", _("one-time passwords sent")
