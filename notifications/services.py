"""Writes of the notifications app: sends, attempts, outcomes and webhook processing."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.webhook_handlers import apply_event

logger = logging.getLogger(__name__)


def webhook_events_drain(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Apply stored, unprocessed webhook events in arrival order; return how many were processed.

    Several workers may drain at once: each batch is claimed with SKIP LOCKED on PostgreSQL.
    """
    processed = 0
    for _ in range(max_batches):
        with transaction.atomic():
            queryset = WebhookEvent.objects.filter(processed_at__isnull=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                queryset = queryset.select_for_update(skip_locked=True)
            batch = list(queryset[:batch_size])
            if not batch:
                break
            for event in batch:
                try:
                    with transaction.atomic():
                        result, detail = apply_event(event)
                except Exception as exc:  # one bad event must not block the others
                    logger.exception("webhook event %s failed", event.event_id)
                    result, detail = WebhookEventResult.FAILED, f"{type(exc).__name__}: {exc}"[:200]
                event.result, event.detail, event.processed_at = result, detail[:200], timezone.now()
            WebhookEvent.objects.bulk_update(batch, ["result", "detail", "processed_at"])
            processed += len(batch)
    return processed
