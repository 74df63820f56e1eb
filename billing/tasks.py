"""Billing's periodic job: thin, takes no arguments, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from billing.services import line_counts_fetch


@shared_task(acks_late=True)
def line_daily_counts_fetch() -> int:
    """Fetch LINE's delivered count for each brand and each JST day not yet settled."""
    return line_counts_fetch()
