"""Background work for members: big imports run here, not in the web request."""

from __future__ import annotations

from celery import shared_task

from members.services import import_files_purge, import_job_run


@shared_task(acks_late=True)
def member_import_job_run(*, job_id: int) -> None:
    """Run one member import job; running it again after it finished does nothing."""
    import_job_run(job_id=job_id)


@shared_task
def member_import_files_purge() -> int:
    """Delete uploaded member files and reports past their retention period (daily, from beat)."""
    return import_files_purge()
