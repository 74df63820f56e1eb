"""A task the worker tests load with ``--include``: it proves the broker reaches a real worker."""

from celery import shared_task

from portal.models import Brand
from portal.services import audit_record


@shared_task(acks_late=True)
def record_worker_visit(*, brand_id: int) -> None:
    """Write an audit row from inside the worker process."""
    audit_record(action="test.worker_visit", actor="worker", obj=Brand.objects.get(pk=brand_id))
