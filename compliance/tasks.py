"""Periodic jobs of template compliance."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from compliance.services import review_digest_send, template_quality_review


@shared_task(acks_late=True)
def template_quality_review_task() -> int:
    """Suspend templates whose SMS-fallback or block share crossed its threshold; safe to run twice."""
    return len(template_quality_review())


@shared_task(acks_late=True)
def review_digest_task() -> int:
    """E-mail reviewers what waits in the queue; a second run on the same day sends nothing."""
    return review_digest_send(today=timezone.localdate())
