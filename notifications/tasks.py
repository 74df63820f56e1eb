"""Celery tasks of the notifications app: thin, idempotent, taking ids."""

from __future__ import annotations

import random

from celery import shared_task

from notifications import services


def backoff_seconds(retries: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, never sooner than LINE's ``Retry-After``."""
    computed = random.uniform(0, min(60.0, 2.0**retries))  # noqa: S311 (jitter, not security)
    return max(computed, retry_after or 0.0, 0.5)


@shared_task(acks_late=True, ignore_result=True)
def notifications_dispatch(*, notification_ids: list[int]) -> None:
    """Send each queued notification on its next channel; one that is not queued is skipped."""
    for retry in services.notifications_dispatch(notification_ids=notification_ids):
        notifications_dispatch.apply_async(
            kwargs={"notification_ids": [retry.notification_id]},
            countdown=backoff_seconds(retry.retries, retry.retry_after),
        )


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_process() -> int:
    """Apply every stored, unprocessed LINE webhook event, then release the receiver's claim; safe twice."""
    return services.webhook_events_drain_and_release()


@shared_task(acks_late=True, ignore_result=True)
def notification_timers() -> dict[str, int]:
    """Run the pipeline's clocks: SMS fallback delays, the 24-hour window, the outbox sweeper."""
    return {
        "fallbacks": services.fallbacks_due(),
        "expired": services.deliveries_expire(),
        "requeued": services.outbox_sweep(),
        "webhook_events": services.webhook_events_drain(),
    }


@shared_task(acks_late=True, ignore_result=True)
def idempotency_keys_prune() -> int:
    """Delete idempotency keys past their 48-hour life (beat, hourly)."""
    return services.idempotency_keys_prune()


@shared_task(acks_late=True, ignore_result=True)
def retention_enforce() -> dict[str, int]:
    """Remove personal content past its retention period (beat, daily)."""
    return services.retention_enforce()


@shared_task(acks_late=True, ignore_result=True)
def alerts_evaluate_task() -> dict[str, int]:
    """Compare each brand's delivery figures with their thresholds; e-mail new crossings (beat, every 10 min)."""
    return services.alerts_evaluate()
