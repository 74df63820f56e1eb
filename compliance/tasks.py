"""Periodic jobs of template compliance."""

from __future__ import annotations

from celery import shared_task

from compliance.services import template_quality_review


@shared_task(acks_late=True)
def template_quality_review_task() -> int:
    """Suspend templates whose SMS-fallback or block share crossed its threshold; safe to run twice."""
    return len(template_quality_review())
