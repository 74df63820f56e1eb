"""Celery tasks of LINE binding: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from binding.services import WelcomeRetryLater, line_friends_sync_all, welcome_send, welcomes_requeue


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(WelcomeRetryLater,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=6,
)
def welcome_send_task(*, welcome_id: int) -> None:
    """Send one queued welcome message; a welcome already sent or being sent is left alone."""
    welcome_send(welcome_id=welcome_id)


@shared_task(acks_late=True, ignore_result=True)
def welcomes_requeue_task() -> int:
    """Enqueue again the welcome messages whose send task was lost."""
    return welcomes_requeue()


@shared_task(acks_late=True, ignore_result=True)
def line_friends_sync_task() -> dict[str, str]:
    """Sync every brand's friend list with LINE's follower ids (beat, daily)."""
    return line_friends_sync_all()
