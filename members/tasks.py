"""Background work for members: big imports run here, not in the web request."""

from __future__ import annotations

from celery import shared_task

from members.services import import_job_run


@shared_task(acks_late=True)
def member_import_job_run(*, job_id: int) -> None:
    """Run one member import job; running it again after it finished does nothing."""
    import_job_run(job_id=job_id)
