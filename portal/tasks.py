"""Background work for the records every app leans on."""

from __future__ import annotations

from celery import shared_task

from portal.services import api_keys_expire


@shared_task
def api_keys_expire_task() -> int:
    """Record each API key whose expiry has passed in the audit trail, once (hourly, from beat)."""
    return api_keys_expire()
