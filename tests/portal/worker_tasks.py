"""A task the worker tests load with ``--include``: it proves the broker reaches a real worker."""

import os

from celery import shared_task

from portal.models import Brand
from portal.services import audit_record


@shared_task(acks_late=True)
def record_worker_visit(*, brand_id: int) -> None:
    """Write an audit row from inside the worker process."""
    audit_record(action="test.worker_visit", actor="worker", obj=Brand.objects.get(pk=brand_id))


_connections_seen: list[object] = []  # kept alive, so no two connections share an id()


@shared_task(acks_late=True)
def record_database_session(*, brand_id: int) -> None:
    """Write down which database session the worker used for this task."""
    from django.db import connection

    connection.ensure_connection()
    _connections_seen.append(connection.connection)
    session = f"{os.getpid()}:{id(connection.connection)}"
    audit_record(
        action="test.database_session", actor="worker", obj=Brand.objects.get(pk=brand_id), data={"session": session}
    )
