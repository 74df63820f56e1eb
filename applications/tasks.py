"""Periodic jobs of the application tracker; each is a thin call to a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from applications.services import reminders_send


@shared_task(acks_late=True)
def applications_send_reminders() -> int:
    """E-mail every account manager today's overdue steps, expiring NDAs and cut-offs."""
    return reminders_send(today=timezone.localdate())
