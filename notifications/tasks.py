"""Celery tasks of the notifications app: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from notifications.services import webhook_events_drain


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_process() -> int:
    """Apply every stored, unprocessed LINE webhook event; safe to run concurrently or twice."""
    return webhook_events_drain()
