"""Records of what the portal sent, through which channel, and what LINE and SMS vendors said."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.choices import WebhookEventResult
from portal.models import Brand


class WebhookEvent(models.Model):
    """One event LINE sent to a brand's webhook, stored before the 200 and processed once.

    ``webhookEventId`` is unique per brand: a redelivered or duplicated event is not stored
    twice, so it cannot be applied twice. The payload is kept as evidence for reconciliation.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    event_id = models.CharField(_("webhook event id"), max_length=64)
    event_type = models.CharField(_("type"), max_length=32)
    is_redelivery = models.BooleanField(_("redelivery"), default=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=WebhookEventResult.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("LINE webhook event")
        verbose_name_plural = _("LINE webhook events")
        constraints = [models.UniqueConstraint(fields=["brand", "event_id"], name="webhook_event_unique_per_brand")]
        indexes = [
            models.Index(
                fields=["id"], name="webhook_event_unprocessed", condition=models.Q(processed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
