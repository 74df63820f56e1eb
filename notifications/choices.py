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
